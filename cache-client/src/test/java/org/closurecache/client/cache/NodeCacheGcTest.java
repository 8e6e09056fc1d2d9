package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.closurecache.client.cache.CacheFixtures.Closure;
import org.closurecache.client.cache.NodeCacheClosureTest.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five closures of 1,000-byte objects, used in the order A (oldest) … E (newest). A and D share
 * one object; B is in use; C is pinned. 11 distinct objects, 11,000 bytes.
 */
class NodeCacheGcTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(0);
  private NodeCache cache;
  private Closure a, b, c, d, e;
  private Staged shared;

  @BeforeEach
  void fill() throws IOException {
    cache = NodeCache.open(dir, Waiter.silent(), clock);
    Random random = new Random(42);
    shared = CacheFixtures.stage(cache.layout(), CacheFixtures.randomBytes(random, 1000));
    a = add("a", random, 1, shared);
    b = add("b", random, 2, null);
    c = add("c", random, 3, null);
    Staged sharedCopy = CacheFixtures.stage(cache.layout(), java.nio.file.Files.readAllBytes(
        cache.layout().objectPath(shared.digest())));
    d = add("d", random, 4, sharedCopy);
    e = add("e", random, 5, null);
    cache.pin(c.digest());
    assertEquals(11_000, cache.objectBytes());
  }

  private Closure add(String name, Random random, long usedAt, Staged extra) throws IOException {
    List<Staged> objects = new ArrayList<>(CacheFixtures.stageRandom(cache.layout(), random, 2, 1000));
    if (extra != null) {
      objects.add(extra);
    }
    Closure closure = CacheFixtures.closure(name, objects);
    clock.now = usedAt;
    cache.putManifest(closure.digest(), closure.envelope());
    cache.commit(objects);
    cache.markComplete(closure.digest());
    cache.touch(closure.digest());
    return closure;
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    cache.close();
  }

  @Test
  void gc_evictsLeastRecentlyUsedFirst_andKeepsAnObjectSharedWithAKeptClosure() throws IOException {
    GcReport r = cache.gc(9_000, Set.of(b.digest()));

    assertEquals(1, r.closuresEvicted());
    assertEquals(2, r.objectsRemoved());
    assertEquals(2_000, r.bytesFreed());
    assertEquals(9_000, r.bytesAfter());
    assertEquals(9_000, cache.objectBytes());
    assertTrue(cache.manifest(a.digest()).isEmpty(), "the evicted closure's manifest is removed");
    assertTrue(cache.hasObject(shared.digest()), "D still needs the object it shares with A");
    assertTrue(cache.isComplete(d.digest()));
    assertEquals(4, cache.list().size());
  }

  @Test
  void gc_neverEvictsPinnedOrInUseClosures_andSaysWhyWhenTheTargetIsOutOfReach() throws IOException {
    GcReport r = cache.gc(0, Set.of(b.digest()));

    assertEquals(3, r.closuresEvicted(), "A, D and E");
    assertEquals(4_000, r.bytesAfter(), "B and C remain");
    assertEquals(Set.of(b.digest(), c.digest()),
        Set.copyOf(cache.list().stream().map(ClosureInfo::manifest).toList()));
    assertTrue(cache.isComplete(b.digest()) && cache.isComplete(c.digest()));
    assertFalse(cache.hasObject(shared.digest()));
    String reasons = String.join("\n", r.keptReasons());
    assertTrue(reasons.contains(c.digest() + " (/opt/c/bin/c) kept: pinned"), reasons);
    assertTrue(reasons.contains(b.digest() + " (/opt/b/bin/b) kept: in use"), reasons);
    assertTrue(reasons.contains("cannot get below 0 bytes: 4000 bytes remain"), reasons);
  }

  @Test
  void gc_whenUnderTheLimit_doesNothing() throws IOException {
    GcReport r = cache.gc(11_000, Set.of());

    assertEquals(new GcReport(0, 0, 0, 11_000, 0, 0, List.of()), r);
    assertEquals(5, cache.list().size());
  }

  @Test
  void gc_removesObjectsNoManifestNamesBeforeAnyClosure() throws IOException {
    Staged orphan = CacheFixtures.stage(cache.layout(), CacheFixtures.randomBytes(new Random(7), 1000));
    cache.commit(List.of(orphan));

    GcReport r = cache.gc(11_000, Set.of());

    assertEquals(0, r.closuresEvicted());
    assertEquals(1, r.objectsRemoved());
    assertFalse(cache.hasObject(orphan.digest()));
    assertEquals(5, cache.list().size());
  }
}
