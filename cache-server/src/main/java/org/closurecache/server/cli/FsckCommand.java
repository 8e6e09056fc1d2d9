package org.closurecache.server.cli;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.store.FsckReport;
import org.closurecache.server.store.StoreFsck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-server fsck}: check a store against its index, optionally repair or rebuild the index. */
@Command(
    name = "fsck",
    mixinStandardHelpOptions = true,
    description = {
        "Checks a master's store: re-hashes every object file, compares the index with the object, manifest and tag files, and checks that every stored manifest's objects are there. Without options it changes nothing and reports.",
        "With --repair, corrupt and stray files are moved to quarantine/ and the index is made to agree with the files (objects that lost their entry are indexed, entries without files dropped, manifests and tag revisions the index lost restored). A manifest whose objects are missing cannot be repaired here: publish it again.",
        "With --rebuild-index (implies --repair), every manifest and tag file is first verified against the configured publisher-keys (what fails goes to quarantine/), the old index is moved to index.broken-<time> (never deleted) and a new one is built from the files; use it when the server reports its index damaged.",
        "",
        "Runs on a store no server has open (the index allows one process): stop the server first.",
        "Exit status 0 when the store is (now) sound, 1 when problems remain."},
    footer = {"", "Example:", "  cache-server fsck --store /srv/closure-cache --rebuild-index"})
final class FsckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--store", paramLabel = "DIR", description = "The store's directory (default var/store, or the config's).")
  java.nio.file.Path store;

  @Option(names = "--config", paramLabel = "FILE", description = "The server's properties file, for its store and publisher-keys settings.")
  java.nio.file.Path config;

  @Option(names = "--repair", description = "Quarantine bad files and make the index agree with the files.")
  boolean repair;

  @Option(names = "--rebuild-index", description = "Build the index anew from the files (verifying them against publisher-keys).")
  boolean rebuildIndex;

  @Override
  public Integer call() throws Exception {
    Map<String, String> flags = new TreeMap<>();
    Settings.put(flags, "store", store);
    ServerConfig cfg = Settings.load(config, flags);
    Optional<TrustedKeys> publishers = cfg.publisherKeys().isEmpty()
        ? Optional.empty() : Optional.of(TrustedKeys.load(cfg.publisherKeys()));
    FsckReport r = StoreFsck.run(cfg.store(), cfg.maxObjectSize(), publishers, repair, rebuildIndex, Clock.systemUTC());
    PrintWriter out = spec.commandLine().getOut();
    var o = r.objects();
    String verb = r.repaired() ? "" : "would be ";
    out.printf("%d objects checked; %d corrupt, %d files missing, %d unindexed files, %d strays (%squarantined/indexed)%n",
        o.objectsChecked(), o.corrupt().size(), o.missingFiles().size(), o.filesIndexed(),
        o.quarantined() - o.corrupt().size(), verb);
    var x = r.records();
    out.printf("manifests: %d lost by the index (%srestored), %d without a file (%sdropped), %d damaged files;"
        + " tag revisions: %d disagreeing (%sfixed)%n", x.manifestsRestored(), verb, x.manifestsDropped(), verb,
        x.damagedManifestFiles().size(), x.tagRevisionsFixed(), verb);
    o.corrupt().forEach(d -> out.println("corrupt object " + d));
    o.missingFiles().forEach(d -> out.println("missing object file " + d));
    x.damagedManifestFiles().forEach(d -> out.println("damaged manifest file " + d));
    r.incompleteManifests().forEach((d, n) -> out.println("manifest " + d + " lacks " + n + " objects: publish it again"));
    r.oldIndex().ifPresent(p -> out.println("old index moved to " + p + "; delete it once the server works"));
    r.rejected().forEach(s -> out.println("rejected (quarantined) " + s));
    r.notRecovered().forEach(s -> out.println("not recovered: " + s));
    out.println(r.healthy() ? (r.clean() ? "store is clean" : "store repaired") : "problems remain");
    out.flush();
    return r.healthy() ? 0 : 1;
  }
}
