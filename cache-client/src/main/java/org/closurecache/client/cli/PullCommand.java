package org.closurecache.client.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.pull.Puller;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.manifest.Ref;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cache-client pull}: bring a job's closure into the node cache, verified. */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Pulls the closure REF names (a manifest digest sha256:..., or a tag) into the node cache: verifies the manifest's signature against --trust, fetches what the cache lacks in parallel from the masters in order (failing over on errors, timeouts, stalls and corrupt bytes, resuming interrupted objects), verifies every object while it streams, makes them durable in batches, and marks the closure complete only when all of it is there.",
        "",
        "A tag older than one this cache has already accepted is refused (rollback). Several pulls on one node wait for each other and fetch each object once."},
    footer = {"", "Example:", "  cache-client pull --master http://head:7070,http://proxy:3128 --cache /var/cache/closure --trust publisher.pub python"})
final class PullCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print a machine-readable summary instead of progress.")
  boolean json;

  @Mixin NodeOptions node;

  @Parameters(paramLabel = "REF", description = "A manifest digest (sha256:...) or a tag name.")
  Ref ref;

  @Override
  public Integer call() throws Exception {
    ClientSettings settings = node.settings();
    PrintWriter err = spec.commandLine().getErr();
    try (MasterClient master = node.master(settings);
        NodeCache cache = NodeOptions.openCache(settings, err)) {
      Puller puller = new Puller(master, cache, NodeOptions.trusted(settings), settings.parallelism());
      Progress progress = json ? Progress.silent() : new Progress(err, System.console() != null, "pulling");
      report(List.of(puller.pull(ref, progress)), json, spec.commandLine().getOut());
    }
    return 0;
  }

  /** One line per pull for people, or a JSON array of summaries. */
  static void report(List<Puller.Result> results, boolean json, PrintWriter out) {
    if (json) {
      var array = CanonicalJson.object().arrayNode();
      for (Puller.Result r : results) {
        summary(array.addObject(), r);
      }
      out.println(new String(CanonicalJson.write(array), StandardCharsets.UTF_8));
    } else {
      for (Puller.Result r : results) {
        out.println(line(r));
      }
    }
    out.flush();
  }

  /** The JSON fields of one pull's summary, into {@code o}. */
  static ObjectNode summary(ObjectNode o, Puller.Result r) {
    o.put("manifest", r.manifest().toString());
    r.tag().ifPresent(t -> o.put("tag", t));
    o.put("objects", r.objects());
    o.put("fetched", r.fetched());
    o.put("present", r.present());
    o.put("bytesFetched", r.bytesFetched());
    o.put("millis", r.took().toMillis());
    ObjectNode by = o.putObject("bytesByMaster");
    r.bytesByMaster().forEach((uri, bytes) -> by.put(uri.toString(), bytes));
    return o;
  }

  /** One pull's summary for people. */
  static String line(Puller.Result r) {
    return String.format(Locale.ROOT, "%s%s: %d objects, %d fetched (%s), %d already present, %.2f s", r.manifest(),
        r.tag().map(t -> " (" + t + ")").orElse(""), r.objects(), r.fetched(), Progress.human(r.bytesFetched()),
        r.present(), r.took().toMillis() / 1000.0);
  }
}
