package org.closurecache.client.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.closurecache.client.cache.ClosureInfo;
import org.closurecache.client.cache.FsckReport;
import org.closurecache.client.cache.IndexRepairs;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cache.RebuildReport;
import org.closurecache.client.cache.Staged;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-client fsck}: re-hash the cache, reconcile, quarantine, and optionally repair. */
@Command(name = "fsck", mixinStandardHelpOptions = true,
    description = {
        "Re-hashes every object in the node cache and reconciles the index with the files it is derived from: corrupt objects are moved to quarantine/ and dropped, missing files dropped, unindexed good files indexed; stored manifests, pins and tags the index lost are restored from manifests/, pins/ and tags/ (a damaged manifest file is quarantined); closures that lost an object are no longer complete. With --rebuild-index the index is first built anew from those files: every stored manifest and signed tag is verified against --trust again (what fails goes to quarantine/), the old index is moved to index.broken-<time> (never deleted); use it when a command reports the index damaged. With --repair the lost objects are fetched again from the masters and the closures marked complete again (every incomplete closure in the cache: also those an earlier fsck found damaged, or a pull left unfinished).",
        "",
        "Exit status 0 when the cache is (now) clean, 1 when problems remain."})
final class FsckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--repair", description = "Fetch lost objects again and complete their closures.")
  boolean repair;

  @Option(names = "--rebuild-index", description = "Build the index anew from the object, manifest, pin and tag files first (needs --trust).")
  boolean rebuildIndex;

  @Mixin NodeOptions node;

  @Override
  public Integer call() throws Exception {
    ClientSettings settings = node.settings();
    PrintWriter out = spec.commandLine().getOut();
    if (rebuildIndex) {
      rebuild(settings, out, spec.commandLine().getErr());
    }
    try (NodeCache cache = NodeOptions.openCache(settings, spec.commandLine().getErr())) {
      FsckReport r = cache.fsck();
      out.printf("%d objects checked; %d corrupt (quarantined), %d files missing, %d unindexed files indexed;"
              + " %d closures incomplete%n", r.objectsChecked(), r.corrupt().size(), r.missingFiles().size(),
          r.unindexedFilesIndexed(), r.incompleteClosures().size());
      IndexRepairs x = r.records();
      if (!x.clean()) {
        out.printf("index disagreed with the files: %d manifests restored, %d dropped, %d manifest files damaged,"
            + " %d pins and %d tags fixed%n", x.manifestsRestored(), x.manifestsDropped(),
            x.damagedManifestFiles().size(), x.pinsFixed(), x.tagsFixed());
        x.damagedManifestFiles().forEach(d -> out.println("damaged manifest file " + d));
      }
      r.corrupt().forEach(d -> out.println("corrupt " + d));
      r.missingFiles().forEach(d -> out.println("missing " + d));
      boolean clean = r.refetch().isEmpty() && r.incompleteClosures().isEmpty();
      if (repair && (!clean || cache.list().stream().anyMatch(c -> !c.complete()))) {
        clean = repair(settings, cache, r, out);
      }
      out.flush();
      return clean ? 0 : 1;
    }
  }

  private static void rebuild(ClientSettings settings, PrintWriter out, PrintWriter err) throws Exception {
    RebuildReport r = NodeCache.rebuildIndex(settings.cache(), holder -> {
      err.println("waiting for " + holder + " to finish with " + settings.cache());
      err.flush();
    }, settings.lockTimeout(), NodeOptions.trusted(settings));
    out.printf("index rebuilt: %d objects, %d manifests (%d complete), %d pins, %d tags%n", r.objects(),
        r.manifests(), r.complete(), r.pins(), r.tags());
    r.oldIndex().ifPresent(p -> out.println("old index moved to " + p + "; delete it once the cache works"));
    r.rejected().forEach(x -> out.println("rejected (quarantined) " + x));
    r.notRecovered().forEach(x -> out.println("not recovered: " + x));
    out.flush();
  }

  /** The cached manifests, parsed. */
  private static Map<Digest, Manifest> manifests(NodeCache cache) throws Exception {
    Map<Digest, Manifest> out = new HashMap<>();
    for (ClosureInfo c : cache.list()) {
      byte[] envelope = cache.manifest(c.manifest()).orElseThrow();
      out.put(c.manifest(), SignedManifest.storedManifest(envelope));
    }
    return out;
  }

  /**
   * Fetches what every incomplete closure lacks and marks it complete: not only the closures this
   * run found damaged, but also those an earlier fsck (without --repair) or a reconciliation at
   * open already marked incomplete, which this run's report no longer names.
   */
  private boolean repair(ClientSettings settings, NodeCache cache, FsckReport r, PrintWriter out)
      throws Exception {
    Map<Digest, Manifest> manifests = manifests(cache);
    Map<Digest, Long> sizes = new HashMap<>();
    manifests.values().forEach(m -> m.files().values().forEach(f -> sizes.put(f.digest(), f.size())));
    Set<Digest> incomplete = new TreeSet<>(r.incompleteClosures());
    for (ClosureInfo c : cache.list()) {
      if (!c.complete()) {
        incomplete.add(c.manifest());
      }
    }
    Set<Digest> wanted = new TreeSet<>(r.refetch());
    for (Digest closure : incomplete) {
      wanted.addAll(cache.missing(manifests.get(closure).objectDigests()));
    }
    List<Staged> staged = new ArrayList<>();
    boolean clean = true;
    try (MasterClient master = node.master(settings)) {
      for (Digest d : wanted) {
        if (!sizes.containsKey(d)) {
          continue;  // no closure needs it any more
        }
        var temp = cache.layout().newTempFile();
        try {
          master.fetchObject(d, sizes.get(d), temp);
        } catch (IOException e) {
          out.println("cannot refetch " + d + ": " + e.getMessage());
          clean = false;
          continue;
        }
        staged.add(NodeCache.stage(d, temp));
      }
    }
    cache.commit(staged);
    for (Digest closure : incomplete) {
      try {
        cache.markComplete(closure);
        out.println("repaired " + closure);
      } catch (IllegalStateException e) {
        out.println("still incomplete " + closure + ": " + e.getMessage());
        clean = false;
      }
    }
    out.printf("refetched %d objects%n", staged.size());
    return clean;
  }
}
