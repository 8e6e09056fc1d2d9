package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.closurecache.client.cache.CacheFixtures.Closure;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.sign.TagRollbackException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCacheClosureTest {
  @TempDir Path dir;

  @Test
  void markComplete_whenAnObjectIsMissing_refusesNamingIt_thenSucceedsOnceCommitted() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), new Random(1), 3, 100);
      Closure c = CacheFixtures.closure("app", staged);
      cache.putManifest(c.digest(), c.envelope());
      cache.commit(staged.subList(0, 2));

      IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.markComplete(c.digest()));

      assertTrue(e.getMessage().contains(staged.get(2).digest().toString()), e.getMessage());
      assertFalse(cache.isComplete(c.digest()));
      cache.commit(staged.subList(2, 3));
      cache.markComplete(c.digest());
      assertTrue(cache.isComplete(c.digest()));
    }
  }

  @Test
  void markComplete_ofAManifestNotStored_refuses() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      Closure c = CacheFixtures.closure("app", CacheFixtures.stageRandom(cache.layout(), new Random(2), 1, 10));
      assertThrows(IllegalStateException.class, () -> cache.markComplete(c.digest()));
    }
  }

  @Test
  void putManifest_whenTheEnvelopeHoldsAnotherManifest_refusesAndStoresNothing() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      Closure a = CacheFixtures.closure("a", CacheFixtures.stageRandom(cache.layout(), new Random(3), 1, 10));
      Closure b = CacheFixtures.closure("b", CacheFixtures.stageRandom(cache.layout(), new Random(4), 1, 10));

      assertThrows(DigestMismatchException.class, () -> cache.putManifest(a.digest(), b.envelope()));
      assertThrows(IOException.class, () -> cache.putManifest(a.digest(), "{\"not\":1}".getBytes()));

      assertEquals(Optional.empty(), cache.manifest(a.digest()));
      cache.putManifest(a.digest(), a.envelope());
      assertArrayEquals(a.envelope(), cache.manifest(a.digest()).orElseThrow());
    }
  }

  @Test
  void recordTag_refusesALowerRevisionAndAnotherTargetAtTheSameRevision_acceptsEqualAndHigher()
      throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      Closure a = CacheFixtures.closure("a", CacheFixtures.stageRandom(cache.layout(), new Random(5), 1, 10));
      Closure b = CacheFixtures.closure("b", CacheFixtures.stageRandom(cache.layout(), new Random(6), 1, 10));
      assertEquals(0, cache.tagRevision("stable"));
      assertEquals(Optional.empty(), cache.tagTarget("stable"));

      cache.recordTag("stable", 5, a.digest());
      cache.recordTag("stable", 5, a.digest()); // the same value again: fine

      TagRollbackRefusedException rollback =
          assertThrows(TagRollbackRefusedException.class, () -> cache.recordTag("stable", 4, b.digest()));
      assertInstanceOf(TagRollbackException.class, rollback.getCause());
      assertEquals(5, rollback.rollback().seenRevision());
      assertThrows(TagRollbackRefusedException.class, () -> cache.recordTag("stable", 5, b.digest()));
      assertEquals(Optional.of(a.digest()), cache.tagTarget("stable"));

      cache.recordTag("stable", 6, b.digest());
      assertEquals(6, cache.tagRevision("stable"));
      assertEquals(Optional.of(b.digest()), cache.tagTarget("stable"));
    }
  }

  @Test
  void tagRevision_survivesReopen() throws IOException {
    Closure a;
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      a = CacheFixtures.closure("a", CacheFixtures.stageRandom(cache.layout(), new Random(7), 1, 10));
      cache.recordTag("t", 9, a.digest());
    }
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      assertEquals(9, cache.tagRevision("t"));
      assertThrows(TagRollbackRefusedException.class, () -> cache.recordTag("t", 8, a.digest()));
    }
  }

  @Test
  void pinUnpinTouchAndList_reportEveryClosureWithItsStateAndTags() throws IOException {
    MutableClock clock = new MutableClock(1_000_000);
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent(), clock)) {
      List<Staged> sa = CacheFixtures.stageRandom(cache.layout(), new Random(8), 3, 100);
      List<Staged> sb = CacheFixtures.stageRandom(cache.layout(), new Random(9), 2, 50);
      Closure a = CacheFixtures.closure("a", sa);
      Closure b = CacheFixtures.closure("b", sb);
      cache.putManifest(a.digest(), a.envelope());
      cache.putManifest(b.digest(), b.envelope());
      cache.commit(sa);
      cache.markComplete(a.digest());
      cache.recordTag("a-stable", 1, a.digest());
      cache.recordTag("a-latest", 3, a.digest());

      cache.pin(b.digest());
      assertTrue(cache.isPinned(b.digest()));
      cache.pin(a.digest());
      cache.unpin(a.digest());
      assertFalse(cache.isPinned(a.digest()));
      clock.now = 2_000_000;
      cache.touch(a.digest());

      List<ClosureInfo> list = cache.list();
      assertEquals(2, list.size());
      ClosureInfo ia = list.stream().filter(i -> i.manifest().equals(a.digest())).findFirst().orElseThrow();
      ClosureInfo ib = list.stream().filter(i -> i.manifest().equals(b.digest())).findFirst().orElseThrow();
      assertEquals(new ClosureInfo(a.digest(), "/opt/a/bin/a", 3, 300, true, false,
          Instant.ofEpochMilli(2_000_000), List.of("a-latest", "a-stable")), ia);
      assertEquals(new ClosureInfo(b.digest(), "/opt/b/bin/b", 2, 100, false, true,
          Instant.ofEpochMilli(1_000_000), List.of()), ib);
    }
  }

  @Test
  void pin_ofAManifestNotStored_refuses() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      Closure a = CacheFixtures.closure("a", CacheFixtures.stageRandom(cache.layout(), new Random(10), 1, 10));
      assertThrows(IllegalStateException.class, () -> cache.pin(a.digest()));
    }
  }

  @Test
  void openReadOnly_answersQueries_refusesWrites() throws IOException {
    Closure a;
    List<Staged> staged;
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      staged = CacheFixtures.stageRandom(cache.layout(), new Random(11), 2, 10);
      a = CacheFixtures.closure("a", staged);
      cache.putManifest(a.digest(), a.envelope());
      cache.commit(staged);
      cache.markComplete(a.digest());
    }
    try (NodeCache ro = NodeCache.openReadOnly(dir)) {
      assertTrue(ro.isComplete(a.digest()));
      assertTrue(ro.hasObject(staged.get(0).digest()));
      assertEquals(2, ro.objectCount());
      assertEquals(1, ro.list().size());
      assertThrows(IllegalStateException.class, () -> ro.touch(a.digest()));
      assertThrows(IllegalStateException.class, () -> ro.commit(List.of()));
      assertThrows(IllegalStateException.class, () -> ro.gc(0, java.util.Set.of()));
    }
  }

  @Test
  void openReadOnly_whereNoCacheExists_saysSo() {
    IOException e = assertThrows(IOException.class, () -> NodeCache.openReadOnly(dir.resolve("none")));
    assertTrue(e.getMessage().contains("no cache index"), e.getMessage());
  }

  @Test
  void close_isIdempotent_andLaterCallsAreRefused() throws IOException {
    NodeCache cache = NodeCache.open(dir, Waiter.silent());
    cache.close();
    cache.close();
    assertThrows(IllegalStateException.class, () -> cache.tagRevision("x"));
  }

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    volatile long now;

    MutableClock(long now) {
      this.now = now;
    }

    @Override
    public long millis() {
      return now;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(now);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
