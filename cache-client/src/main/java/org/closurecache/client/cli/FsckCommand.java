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
import org.closurecache.client.cache.NodeCache;
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
        "Re-hashes every object in the node cache and reconciles the index with the files: corrupt objects are moved to quarantine/ and dropped, missing files dropped, unindexed good files indexed; closures that lost an object are no longer complete. With --repair the lost objects are fetched again from the masters and the closures marked complete again (every incomplete closure in the cache: also those an earlier fsck found damaged, or a pull left unfinished).",
        "",
        "Exit status 0 when the cache is (now) clean, 1 when problems remain."})
final class FsckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--repair", description = "Fetch lost objects again and complete their closures.")
  boolean repair;

  @Mixin NodeOptions node;

  @Override
  public Integer call() throws Exception {
    ClientSettings settings = node.settings();
    PrintWriter out = spec.commandLine().getOut();
    try (NodeCache cache = NodeOptions.openCache(settings, spec.commandLine().getErr())) {
      NodeCache.FsckReport r = cache.fsck();
      out.printf("%d objects checked; %d corrupt (quarantined), %d files missing, %d unindexed files indexed;"
              + " %d closures incomplete%n", r.objectsChecked(), r.corrupt().size(), r.missingFiles().size(),
          r.unindexedFilesIndexed(), r.incompleteClosures().size());
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

  /** The cached manifests, parsed. */
  private static Map<Digest, Manifest> manifests(NodeCache cache) throws Exception {
    Map<Digest, Manifest> out = new HashMap<>();
    for (NodeCache.ClosureInfo c : cache.list()) {
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
  private boolean repair(ClientSettings settings, NodeCache cache, NodeCache.FsckReport r, PrintWriter out)
      throws Exception {
    Map<Digest, Manifest> manifests = manifests(cache);
    Map<Digest, Long> sizes = new HashMap<>();
    manifests.values().forEach(m -> m.files().values().forEach(f -> sizes.put(f.digest(), f.size())));
    Set<Digest> incomplete = new TreeSet<>(r.incompleteClosures());
    for (NodeCache.ClosureInfo c : cache.list()) {
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
