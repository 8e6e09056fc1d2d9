package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.closurecache.client.cache.Staged.Presentation;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Object files carry the recorded read/execute bits and mtime, because views hard-link them. */
class ObjectPresentationTest {
  @TempDir Path dir;

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  static long mtimeSeconds(Path p) throws IOException {
    return Files.getLastModifiedTime(p).to(TimeUnit.SECONDS);
  }

  @Test
  void commit_withPresentation_keepsReadAndExecuteBits_dropsWriteBits_setsMtime() throws IOException {
    Random random = new Random(3);
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      Map<Integer, String> expected = Map.of(0755, "r-xr-xr-x", 0644, "r--r--r--", 0700, "r-xr--r--",
          0200, "r--r--r--", 0111, "r-xr-xr-x", 0000, "r--r--r--");
      for (Map.Entry<Integer, String> e : expected.entrySet()) {
        Staged s = CacheFixtures.stage(cache.layout(), CacheFixtures.randomBytes(random, 100))
            .withPresentation(Optional.of(new Presentation(e.getKey(), 1_600_000_123L)));
        cache.commit(List.of(s));
        Path p = cache.layout().objectPath(s.digest());
        assertEquals(e.getValue(), mode(p), "recorded 0" + Integer.toOctalString(e.getKey()));
        assertEquals(1_600_000_123L, mtimeSeconds(p));
      }
    }
  }

  @Test
  void commit_withoutPresentation_isReadOnlyWithTheDownloadMtime() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      long before = System.currentTimeMillis() / 1000 - 1;
      Staged s = CacheFixtures.stage(cache.layout(), CacheFixtures.randomBytes(new Random(4), 100));
      cache.commit(List.of(s));
      Path p = cache.layout().objectPath(s.digest());
      assertEquals("r--r--r--", mode(p));
      assertEquals(true, mtimeSeconds(p) >= before, "mtime is the download's");
    }
  }

  @Test
  void commit_ofAnObjectAlreadyPresent_keepsTheAttributesItWasPublishedWith() throws IOException {
    byte[] bytes = CacheFixtures.randomBytes(new Random(5), 100);
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      cache.commit(List.of(CacheFixtures.stage(cache.layout(), bytes)
          .withPresentation(Optional.of(new Presentation(0755, 1_000L)))));
      cache.commit(List.of(CacheFixtures.stage(cache.layout(), bytes)
          .withPresentation(Optional.of(new Presentation(0644, 2_000L)))));
      Path p = cache.layout().objectPath(Digest.of(bytes));
      assertEquals("r-xr-xr-x", mode(p));
      assertEquals(1_000L, mtimeSeconds(p));
    }
  }

  @Test
  void presentation_rejectsModesBeyondPermissionBits() {
    assertThrows(IllegalArgumentException.class, () -> new Presentation(04755, 0));
    assertThrows(IllegalArgumentException.class, () -> new Presentation(-1, 0));
    assertEquals(0555, new Presentation(0775, 0).fileMode());
  }

  @Test
  void byObject_takesTheFirstFileInPathOrderWithThatContent() {
    Staged a = new Staged(Digest.of(new byte[] {1}), dir.resolve("a"), 1);
    Staged b = new Staged(Digest.of(new byte[] {2}), dir.resolve("b"), 1);
    // entry /opt/x/bin/x (0755) holds a; /opt/x/lib/f1 (0644) holds b; /opt/x/lib/f2 (0644) a again
    CacheFixtures.Closure c = CacheFixtures.closure("x", List.of(a, b, a));
    Map<Digest, Presentation> p = Presentation.byObject(c.manifest());
    assertEquals(new Presentation(0755, 1_700_000_000L), p.get(a.digest()));
    assertEquals(new Presentation(0644, 1_700_000_000L), p.get(b.digest()));
  }
}
