package org.closurecache.server.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.closurecache.core.config.Units;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.gc.GarbageCollector;
import org.closurecache.server.store.ObjectStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-server gc}: remove objects no manifest needs. */
@Command(
    name = "gc",
    mixinStandardHelpOptions = true,
    description = {
        "Removes objects that no stored manifest references and that were stored more than the grace period ago (uploads of a publish still in progress are younger). Every stored manifest is kept, so no object a manifest names is ever removed.",
        "",
        "Runs on a store no server has open (the index allows one process): stop the server first."},
    footer = {"", "Example:", "  cache-server gc --store /srv/closure-cache --dry-run"})
final class GcCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--store", paramLabel = "DIR", description = "The store's directory (default var/store, or the config's).")
  Path store;

  @Option(names = "--config", paramLabel = "FILE", description = "The server's properties file, for its store setting.")
  Path config;

  @Option(names = "--dry-run", description = "Report what would be removed; remove nothing.")
  boolean dryRun;

  @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "24h", description = "Keep unreferenced objects younger than this (default ${DEFAULT-VALUE}).")
  String grace;

  @Override
  public Integer call() throws Exception {
    Map<String, String> flags = new TreeMap<>();
    Settings.put(flags, "store", store);
    ServerConfig cfg = Settings.load(config, flags);
    GarbageCollector.Report r;
    try (ObjectStore objects = ObjectStore.open(cfg.store(), cfg.maxObjectSize())) {
      r = GarbageCollector.run(objects, Units.parseDuration(grace), dryRun, Clock.systemUTC());
    }
    spec.commandLine().getOut().printf(
        "%d manifests reference %d objects; %d objects unreferenced, %d of them within the grace period;"
            + " %s %d objects, %d bytes%n",
        r.manifests(), r.referenced(), r.unreferenced(), r.inGrace(), r.dryRun() ? "would remove" : "removed",
        r.removed(), r.bytesFreed());
    return 0;
  }
}
