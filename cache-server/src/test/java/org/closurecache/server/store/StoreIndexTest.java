package org.closurecache.server.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.IndexLockedException;
import org.closurecache.store.objects.ObjectEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreIndexTest {
  @TempDir Path dir;
  private StoreIndex index;

  @BeforeEach
  void open() throws IOException {
    index = StoreIndex.open(dir);
  }

  @AfterEach
  void close() {
    index.close();
  }

  private static Digest digest(int i) {
    return Digest.of(("object " + i).getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putTag_acceptsOnlyGrowingRevisions() throws IOException {
    assertEquals(0, index.tagRevision("python"));
    assertEquals(Optional.empty(), index.tag("python"));

    index.putTag("python", 1, utf8("one"));
    index.putTag("python", 2, utf8("two"));

    TagRevisionConflictException again =
        assertThrows(TagRevisionConflictException.class, () -> index.putTag("python", 2, utf8("x")));
    assertEquals(2, again.currentRevision());
    assertEquals(2, again.offeredRevision());
    TagRevisionConflictException rollback =
        assertThrows(TagRevisionConflictException.class, () -> index.putTag("python", 1, utf8("x")));
    assertEquals(1, rollback.offeredRevision());
    assertTrue(rollback.getMessage().contains("revision 2"), rollback.getMessage());

    assertEquals(2, index.tagRevision("python"));
    assertArrayEquals(utf8("two"), index.tag("python").orElseThrow());
  }

  @Test
  void tagHistory_isOldestFirst_andSeparatesTagsSharingAPrefix() throws IOException {
    index.putTag("py", 5, utf8("py5"));
    index.putTag("python", 3, utf8("a"));
    index.putTag("python", 10, utf8("b"));
    index.putTag("python", 300, utf8("c")); // 300 > 255: big-endian order, not byte-by-byte luck
    index.putTag("python3", 1, utf8("other"));

    List<String> history = new ArrayList<>();
    index.tagHistory("python").forEach(b -> history.add(new String(b, StandardCharsets.UTF_8)));
    assertEquals(List.of("a", "b", "c"), history);
    assertEquals(300, index.tagRevision("python"));
    assertEquals(5, index.tagRevision("py"));
    assertEquals(1, index.tagHistory("py").size());
  }

  @Test
  void putTag_rejectsBadNamesAndRevisions() {
    assertThrows(IllegalArgumentException.class, () -> index.putTag("", 1, utf8("x")));
    assertThrows(IllegalArgumentException.class, () -> index.putTag("a\0b", 1, utf8("x")));
    assertThrows(IllegalArgumentException.class, () -> index.putTag("a", 0, utf8("x")));
  }

  @Test
  void manifest_roundTrips() throws IOException {
    Digest d = digest(1);
    assertEquals(Optional.empty(), index.manifest(d));
    index.putManifest(d, utf8("{\"envelope\":1}"));
    assertArrayEquals(utf8("{\"envelope\":1}"), index.manifest(d).orElseThrow());
    List<Digest> seen = new ArrayList<>();
    index.forEachManifest((k, v) -> seen.add(k));
    assertEquals(List.of(d), seen);
  }

  @Test
  void missing_with10000Digests_keepsInputOrder() throws IOException {
    Map<Digest, ObjectEntry> present = new LinkedHashMap<>();
    List<Digest> query = new ArrayList<>();
    List<Digest> expected = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      Digest d = digest(i);
      query.add(d);
      if (i % 3 == 0) {
        present.put(d, new ObjectEntry(i, 1000));
      } else {
        expected.add(d);
      }
    }
    index.putObjects(present);

    for (int run = 1; run <= 2; run++) { // the first run includes JIT warm-up
      long started = System.nanoTime();
      List<Digest> missing = index.missing(query);
      System.out.printf("[store] missing() over 10,000 digests, run %d: %.1f ms%n",
          run, (System.nanoTime() - started) / 1e6);
      assertEquals(expected, missing);
    }
  }

  @Test
  void putAndDeleteObjects_keepCountersExact() throws IOException {
    index.putObjects(Map.of(digest(1), new ObjectEntry(10, 1), digest(2), new ObjectEntry(20, 1)));
    index.putObjects(Map.of(digest(2), new ObjectEntry(20, 2), digest(3), new ObjectEntry(30, 2)));
    assertEquals(3, index.objectCount());
    assertEquals(60, index.objectBytes());
    assertEquals(2, index.object(digest(2)).orElseThrow().storedAtMillis());

    index.deleteObjects(List.of(digest(1), digest(1), digest(99)));
    assertEquals(2, index.objectCount());
    assertEquals(50, index.objectBytes());
  }

  @Test
  void close_twice_isFine_andLaterCallsFailClearly() throws IOException {
    index.close();
    index.close();
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> index.object(digest(1)));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void open_whileOpenInThisProcess_throwsStoreLocked() {
    IndexLockedException e = assertThrows(IndexLockedException.class, () -> StoreIndex.open(dir));
    assertTrue(e.getMessage().contains("a cache-server may already be running"), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
  }

  @Test
  void reopen_afterClose_keepsEverything() throws IOException {
    index.putObjects(Map.of(digest(1), new ObjectEntry(123, 456)));
    index.putManifest(digest(2), utf8("m"));
    index.putTag("t", 7, utf8("seven"));
    index.close();

    index = StoreIndex.open(dir);

    assertEquals(Optional.of(new ObjectEntry(123, 456)), index.object(digest(1)));
    assertEquals(1, index.objectCount());
    assertEquals(123, index.objectBytes());
    assertArrayEquals(utf8("m"), index.manifest(digest(2)).orElseThrow());
    assertEquals(7, index.tagRevision("t"));
    assertArrayEquals(utf8("seven"), index.tag("t").orElseThrow());
  }

  @Test
  void forEachObjectInShard_visitsOnlyThatShard() throws IOException {
    Map<Digest, ObjectEntry> records = new LinkedHashMap<>();
    for (int i = 0; i < 2000; i++) {
      records.put(digest(i), new ObjectEntry(1, 1));
    }
    index.putObjects(records);
    List<Digest> ab = new ArrayList<>();
    index.forEachObjectInShard("ab", (d, r) -> ab.add(d));
    List<Digest> expected = records.keySet().stream().filter(d -> d.shard().equals("ab")).sorted().toList();
    assertEquals(expected, ab);
    assertTrue(!ab.isEmpty());
  }
}
