package org.closurecache.client.cli;

import java.util.Set;
import java.util.concurrent.Callable;
import org.closurecache.client.cache.GcReport;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.running.RunningJobs;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.config.Units;
import org.closurecache.core.digest.Digest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code cache-client gc}: shrink the node cache, least recently used first. */
@Command(name = "gc", mixinStandardHelpOptions = true,
    description = {"Evicts closures, least recently used first, until the cache's objects take at most --max-size (default: the quota setting), removing their views with them. Never evicts a pinned closure, one a job is running from (its launcher marked it in running/<uid>/ and still runs), or an object a kept closure shares.",
        "Also removes views of closures that are not complete here, view build and trash directories over an hour old, and variants no view links."})
final class GcCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--max-size", paramLabel = "SIZE", description = "Target size, e.g. 20G (default: the quota setting).")
  String maxSize;

  @Mixin NodeOptions node;

  private long maxSize() {
    try {
      return Units.parseSize(maxSize);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--max-size: " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    Long given = maxSize != null ? maxSize() : null; // a usage error before anything is opened
    ClientSettings settings = node.settings();
    long max = given != null ? given : settings.quota().orElseThrow(() ->
        new IllegalArgumentException("give --max-size SIZE or set a quota (CLOSURE_CACHE_QUOTA)"));
    try (NodeCache cache = NodeOptions.openCache(settings, spec.commandLine().getErr())) {
      for (var launched : RunningJobs.lastLaunched(cache.layout()).entrySet()) {
        cache.touch(launched.getKey(), launched.getValue());
      }
      Set<Digest> running = RunningJobs.inUse(cache.layout());
      GcReport r = cache.gc(max, running);
      var out = spec.commandLine().getOut();
      out.printf("evicted %d closures, removed %d objects, %d views and %d variants, freed %s; cache now %s%n",
          r.closuresEvicted(), r.objectsRemoved(), r.viewsRemoved(), r.variantsRemoved(), Progress.human(r.bytesFreed()),
          Progress.human(r.bytesAfter()));
      r.keptReasons().forEach(reason -> out.println("kept: " + reason));
      out.flush();
    }
    return 0;
  }
}
