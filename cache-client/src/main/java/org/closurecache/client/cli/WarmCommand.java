package org.closurecache.client.cli;

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
    description = {"Pulls every REF (and every line of --file; blank lines and # comments ignored) into the node cache, as 'pull' does; --pin keeps them from gc. Stops at the first that fails."},
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
    List<Puller.Result> results = new ArrayList<>();
    try (MasterClient master = node.master(settings);
        NodeCache cache = NodeOptions.openCache(settings, err)) {
      Puller puller = new Puller(master, cache, NodeOptions.trusted(settings), settings.parallelism());
      for (String ref : all) {
        Progress progress = json ? Progress.silent() : new Progress(err, System.console() != null, ref);
        Puller.Result r = puller.pull(ref, progress);
        if (pin) {
          cache.pin(r.manifest());
        }
        results.add(r);
      }
    }
    PullCommand.report(results, json, spec.commandLine().getOut());
    return 0;
  }
}
