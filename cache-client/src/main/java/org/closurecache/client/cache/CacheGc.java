package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.closurecache.client.cache.CacheCodec.ClosureState;
import org.closurecache.client.cache.CacheCodec.ObjectEntry;
import org.closurecache.client.cache.NodeCache.GcReport;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;

/**
 * Least-recently-used eviction of closures (see {@link NodeCache#gc}).
 *
 * <p>Plan: objects no stored manifest names go first (left over from abandoned pulls); then
 * closures that are neither pinned nor in use, oldest {@code lastUsed} first, until the projected
 * size is at most the target. An object is freed only when no remaining closure names it, so
 * objects shared with a kept closure stay.
 *
 * <p>Apply, in the order that keeps every crash safe: the evicted manifests and closure records
 * go first (synced), so no closure can be marked complete while its files disappear; then the
 * files; then their index entries. A crash in between leaves unreferenced files or entries
 * without files, which the next GC or reconciliation removes.
 *
 * <p>Not thread-safe: the caller excludes every other writer.
 */
final class CacheGc {
  private record Closure(Digest digest, String entry, Set<Digest> objects, ClosureState state) {}

  private final CacheDatabase rocks;
  private final CacheLayout layout;
  private final ObjectTable objects;
  private final ClosureTable closures;

  CacheGc(CacheDatabase rocks, CacheLayout layout, ObjectTable objects, ClosureTable closures) {
    this.rocks = rocks;
    this.layout = layout;
    this.objects = objects;
    this.closures = closures;
  }

  GcReport run(long maxBytes, Set<Digest> inUse) throws IOException {
    long before = objects.bytes();
    if (before <= maxBytes) {
      return new GcReport(0, 0, 0, before, List.of());
    }
    List<Closure> all = new ArrayList<>();
    closures.forEach((d, envelope, state) -> {
      Manifest m = StoredManifests.parseStored(rocks, d, envelope);
      all.add(new Closure(d, m.entry().path(), m.objectDigests(), state));
    });
    Map<Digest, ObjectEntry> stored = new HashMap<>();
    objects.forEach("", stored::put);
    Map<Digest, Integer> refs = new HashMap<>();
    all.forEach(c -> c.objects().forEach(o -> refs.merge(o, 1, Integer::sum)));

    Set<Digest> freed = new LinkedHashSet<>();
    long projected = before;
    // Unreferenced objects first, oldest first.
    List<Digest> orphans = new ArrayList<>();
    stored.forEach((d, e) -> {
      if (!refs.containsKey(d)) {
        orphans.add(d);
      }
    });
    orphans.sort(Comparator.comparingLong((Digest d) -> stored.get(d).storedAtMillis())
        .thenComparing(d -> d));
    for (Digest d : orphans) {
      if (projected <= maxBytes) {
        break;
      }
      freed.add(d);
      projected -= stored.get(d).size();
    }
    List<String> kept = new ArrayList<>();
    List<Closure> candidates = new ArrayList<>();
    long protectedBytes = 0;
    for (Closure c : all) {
      String why = c.state().pinned() ? "pinned" : inUse.contains(c.digest()) ? "in use" : null;
      if (why == null) {
        candidates.add(c);
      } else {
        long bytes = c.objects().stream().filter(stored::containsKey).mapToLong(o -> stored.get(o).size()).sum();
        protectedBytes += bytes;
        kept.add(c.digest() + " (" + c.entry() + ") kept: " + why + ", " + bytes + " bytes");
      }
    }
    candidates.sort(Comparator.comparingLong((Closure c) -> c.state().lastUsedMillis())
        .thenComparing(Closure::digest));
    List<Digest> evicted = new ArrayList<>();
    for (Closure c : candidates) {
      if (projected <= maxBytes) {
        break;
      }
      evicted.add(c.digest());
      for (Digest o : c.objects()) {
        if (refs.merge(o, -1, Integer::sum) == 0 && stored.containsKey(o) && freed.add(o)) {
          projected -= stored.get(o).size();
        }
      }
    }
    if (projected > maxBytes) {
      kept.add("cannot get below " + maxBytes + " bytes: " + projected + " bytes remain, "
          + protectedBytes + " of them needed by pinned or in-use closures (objects shared between"
          + " closures counted once per closure); unpin closures or raise the limit");
    }
    closures.remove(evicted);
    long bytesFreed = deleteFiles(freed);
    objects.delete(freed);
    return new GcReport(evicted.size(), freed.size(), bytesFreed, objects.bytes(), kept);
  }

  private long deleteFiles(Set<Digest> digests) throws IOException {
    List<Digest> deleted = new ArrayList<>();
    long bytes = 0;
    try {
      for (Digest d : digests) {
        try {
          long size = Files.size(layout.objectPath(d));
          // Unlinking needs write permission on the shard directory only, not on the 0444 file.
          Files.delete(layout.objectPath(d));
          bytes += size;
        } catch (NoSuchFileException gone) {
          // Already gone: its entry is dropped all the same.
        }
        deleted.add(d);
      }
    } catch (IOException e) {
      // Entries of the files that are gone must not outlive this failure.
      objects.delete(deleted);
      throw e;
    }
    return bytes;
  }
}
