package org.closurecache.client.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.pull.Puller;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.cli.Cli;
import org.closurecache.core.cli.RefConverter;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.manifest.Ref;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cache-client warm}: pre-warm a node with several closures. */
@Command(
    name = "warm",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {"Pulls every REF (and every line of --file; blank lines and # comments ignored) into the node cache, as 'pull' does; --pin keeps them from gc. A REF that fails does not stop the others: each failure is one line 'warm: REF: reason' on stderr, and the exit status is 1 if any failed.",
        "--json prints, in every case, an array with one object per REF in order: \"ref\", \"ok\", and either the pull's summary (as 'pull --json') or \"error\"."},
    footer = {"", "Example:", "  cache-client warm --pin --file /etc/closure-cache/warm.list"})
final class WarmCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--file", paramLabel = "LIST", description = "A file of REFs, one per line.")
  Path file;

  @Option(names = "--pin", description = "Pin each closure once pulled.")
  boolean pin;

  @Option(names = "--json", description = "Print a machine-readable summary instead of progress.")
  boolean json;

  @Mixin NodeOptions node;

  @Parameters(paramLabel = "REF", arity = "0..*", description = "Manifest digests or tags.")
  List<String> refs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    // a bad REF argument is bad usage; a bad line of LIST fails as its ref, and the others warm
    RefConverter.convertAll(spec.commandLine(), "REF", refs);
    List<String> all = new ArrayList<>(refs);
    if (file != null) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String t = line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          all.add(t);
        }
      }
    }
    if (all.isEmpty()) {
      throw new IllegalArgumentException("nothing to warm: give REFs or --file LIST");
    }
    ClientSettings settings = node.settings();
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    ArrayNode summary = CanonicalJson.object().arrayNode();
    int failed = 0;
    try (MasterClient master = node.master(settings);
        NodeCache cache = NodeOptions.openCache(settings, err)) {
      Puller puller = new Puller(master, cache, NodeOptions.trusted(settings), settings.parallelism());
      for (String ref : all) {
        Progress progress = json ? Progress.silent() : new Progress(err, System.console() != null, ref);
        ObjectNode entry = summary.addObject().put("ref", ref);
        try {
          Puller.Result r = puller.pull(Ref.parse(ref), progress);
          if (pin) {
            cache.pin(r.manifest());
          }
          PullCommand.summary(entry.put("ok", true), r);
          if (!json) {
            out.println(PullCommand.line(r));
            out.flush();
          }
        } catch (IOException | IllegalArgumentException e) {
          // one ref's failure (absent, refused, unreachable) does not stop the others
          failed++;
          String reason = Cli.describe(e).replace('\n', ' ');
          entry.put("ok", false).put("error", reason);
          err.println(spec.commandLine().getCommandName() + ": " + ref + ": " + reason);
          err.flush();
        }
      }
    }
    if (json) {
      out.println(new String(CanonicalJson.write(summary), StandardCharsets.UTF_8));
      out.flush();
    }
    return failed == 0 ? 0 : 1;
  }
}
