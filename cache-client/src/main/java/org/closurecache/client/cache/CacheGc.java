package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.closurecache.client.cache.CacheCodec.ClosureState;
import org.closurecache.client.view.SweepResult;
import org.closurecache.client.view.ViewSweeper;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.objects.ObjectEntry;
import org.closurecache.store.objects.ObjectTable;

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
 * views ({@link ViewSweeper}): the evicted closures' views, and every view whose manifest is not a
 * complete closure here, unless it is pinned or in use; then the object files; then their index
 * entries; then the variants no view links any more. A crash in between leaves unreferenced files,
 * entries without files or views without closures, which the next GC or reconciliation removes.
 * Views go before objects because a view hard-links object files: unlinking an object that a
 * view still links frees no space, and such objects are not counted as freed (link count).
 *
 * <p>The view and variant sweep runs on every call, also when the objects are within the limit.
 *
 * <p>Not thread-safe: the caller excludes every other writer.
 */
final class CacheGc {
  private record Closure(Digest digest, String entry, Set<Digest> objects, ClosureState state) {}

  private final IndexDatabase rocks;
  private final CacheLayout layout;
  private final ObjectTable objects;
  private final ClosureTable closures;
  private final RecordFiles files;
  private final Clock clock;

  CacheGc(IndexDatabase rocks, CacheLayout layout, ObjectTable objects, ClosureTable closures, RecordFiles files,
      Clock clock) {
    this.files = files;
    this.rocks = rocks;
    this.layout = layout;
    this.objects = objects;
    this.closures = closures;
    this.clock = clock;
  }

  GcReport run(long maxBytes, Set<Digest> inUse) throws IOException {
    long before = objects.bytes();
    Map<Digest, ClosureState> states = new HashMap<>();
    closures.forEach((d, envelope, state) -> states.put(d, state));
    Plan plan = before <= maxBytes ? new Plan(List.of(), Set.of(), List.of()) : plan(maxBytes, inUse, before);

    for (Digest d : plan.evicted()) {
      files.manifests().delete(d); // the file first: an index entry without it is dropped at the next check
    }
    closures.remove(plan.evicted());
    // Views go before the objects they link, or unlinking an object would free nothing.
    Set<Digest> keepViews = new HashSet<>(inUse);
    Set<Digest> evicted = new HashSet<>(plan.evicted());
    states.forEach((d, s) -> {
      if (s.pinned() || (s.complete() && !evicted.contains(d))) {
        keepViews.add(d);
      }
    });
    ViewSweeper sweeper = new ViewSweeper(layout.views(), clock.millis());
    SweepResult views = sweeper.removeViews(keepViews);
    Freed freed = deleteFiles(plan.freed());
    objects.delete(plan.freed());
    SweepResult variants = sweeper.removeUnlinkedVariants();

    List<String> kept = new ArrayList<>(plan.kept());
    kept.addAll(views.problems());
    kept.addAll(variants.problems());
    if (freed.stillLinked() > 0) {
      kept.add(freed.stillLinked() + " removed objects (" + freed.stillLinkedBytes() + " bytes) are still"
          + " linked from outside objects/ (a view gc could not remove?); their space is freed with those links");
    }
    return new GcReport(plan.evicted().size(), plan.freed().size(), freed.bytes() + variants.bytes(),
        objects.bytes(), views.removed(), variants.removed(), kept);
  }

  /** Closures to evict, objects to remove, and why the rest stays. */
  private record Plan(List<Digest> evicted, Set<Digest> freed, List<String> kept) {}

  private Plan plan(long maxBytes, Set<Digest> inUse, long before) throws IOException {
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
    return new Plan(evicted, freed, kept);
  }

  /** Bytes whose last link went, and removed objects whose inode something else still links. */
  private record Freed(long bytes, int stillLinked, long stillLinkedBytes) {}

  private Freed deleteFiles(Set<Digest> digests) throws IOException {
    List<Digest> deleted = new ArrayList<>();
    long bytes = 0;
    int stillLinked = 0;
    long stillLinkedBytes = 0;
    try {
      for (Digest d : digests) {
        try {
          Map<String, Object> a = Files.readAttributes(layout.objectPath(d), "unix:size,nlink", LinkOption.NOFOLLOW_LINKS);
          long size = ((Number) a.get("size")).longValue();
          // Unlinking needs write permission on the shard directory only, not on the read-only file.
          Files.delete(layout.objectPath(d));
          if (((Number) a.get("nlink")).intValue() == 1) {
            bytes += size;
          } else {
            stillLinked++;
            stillLinkedBytes += size;
          }
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
    return new Freed(bytes, stillLinked, stillLinkedBytes);
  }
}
