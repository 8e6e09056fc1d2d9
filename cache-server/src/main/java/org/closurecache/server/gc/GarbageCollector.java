package org.closurecache.server.gc;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.server.store.ObjectStore;

/**
 * Removes objects that no stored manifest references and that were stored longer ago than a
 * grace period (which protects a publisher's uploads between its first object and its manifest).
 * Every stored manifest is kept, so an object any manifest names is never removed.
 *
 * <p>Manifests are read without checking their signatures: the server checked them on upload,
 * and reading more references can only keep more. A manifest that no longer parses stops the
 * collection (its references are unknown). Not thread-safe; run on a store no server has open.
 */
public final class GarbageCollector {
  /** What one collection found and did. */
  public record Report(int manifests, int referenced, int unreferenced, int inGrace, int removed, long bytesFreed,
      boolean dryRun) {}

  private GarbageCollector() {}

  public static Report run(ObjectStore store, Duration grace, boolean dryRun, Clock clock) throws IOException {
    Set<Digest> referenced = new HashSet<>();
    int[] manifests = {0};
    store.index().forEachManifest((digest, envelope) -> {
      manifests[0]++;
      try {
        referenced.addAll(SignedManifest.storedManifest(envelope).objectDigests());
      } catch (IOException e) {
        throw new IOException("stored manifest " + digest + " cannot be read (" + e.getMessage()
            + "); nothing was collected", e);
      }
    });
    long cutoff = clock.millis() - grace.toMillis();
    List<Digest> doomed = new ArrayList<>();
    int[] unreferenced = {0};
    int[] inGrace = {0};
    long[] bytes = {0};
    store.index().forEachObject((digest, record) -> {
      if (referenced.contains(digest)) {
        return;
      }
      unreferenced[0]++;
      if (record.storedAtMillis() > cutoff) {
        inGrace[0]++;
        return;
      }
      doomed.add(digest);
      bytes[0] += record.size();
    });
    long freed = dryRun ? bytes[0] : store.delete(doomed);
    return new Report(manifests[0], referenced.size(), unreferenced[0], inGrace[0], doomed.size(), freed, dryRun);
  }
}
