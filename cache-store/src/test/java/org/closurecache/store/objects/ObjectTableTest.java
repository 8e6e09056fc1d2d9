package org.closurecache.store.objects;

import static org.closurecache.store.objects.ObjectFixtures.digest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.Family;
import org.closurecache.store.index.IndexCorruptException;
import org.closurecache.store.index.Keys;
import org.closurecache.store.index.Writes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectTableTest {
  @TempDir Path dir;
  private ObjectFixtures store;

  @BeforeEach
  void open() throws IOException {
    store = ObjectFixtures.open(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static Digest d(int i) {
    return digest("object " + i);
  }

  @Test
  void counters_areExact_acrossNewPutsRePutsDeletesAndReopen() throws IOException {
    ObjectTable t = store.table;
    assertEquals(0, t.count());
    assertEquals(0, t.bytes());

    t.put(Map.of(d(1), new ObjectEntry(10, 1), d(2), new ObjectEntry(20, 1)));
    assertEquals(2, t.count());
    assertEquals(30, t.bytes());

    // d(2) again with another size and time (a corrected entry), d(3) new: one more, bytes adjusted.
    t.put(Map.of(d(2), new ObjectEntry(25, 2), d(3), new ObjectEntry(30, 2)));
    assertEquals(3, t.count());
    assertEquals(65, t.bytes());
    assertEquals(Optional.of(new ObjectEntry(25, 2)), t.get(d(2)));

    // the same entry again changes nothing
    t.put(Map.of(d(3), new ObjectEntry(30, 2)));
    assertEquals(3, t.count());
    assertEquals(65, t.bytes());

    t.delete(List.of(d(1), d(1), d(99)));
    assertEquals(2, t.count());
    assertEquals(55, t.bytes());
    t.delete(List.of(d(99)));
    t.delete(List.of());
    t.put(Map.of());
    assertEquals(2, t.count());

    store.reopen();
    assertEquals(2, store.table.count());
    assertEquals(55, store.table.bytes());
    assertEquals(Optional.empty(), store.table.get(d(1)));
    assertEquals(Optional.of(new ObjectEntry(30, 2)), store.table.get(d(3)));
  }

  @Test
  void counters_equalTheSumOverEntries_afterManyMixedBatches() throws IOException {
    ObjectTable t = store.table;
    Random random = new Random(3);
    for (int round = 0; round < 50; round++) {
      Map<Digest, ObjectEntry> put = new LinkedHashMap<>();
      for (int i = 0; i < 20; i++) {
        put.put(d(random.nextInt(200)), new ObjectEntry(random.nextInt(1000), round));
      }
      t.put(put);
      List<Digest> delete = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        delete.add(d(random.nextInt(200)));
      }
      t.delete(delete);
    }
    long[] sum = new long[2];
    t.forEach("", (dg, e) -> {
      sum[0]++;
      sum[1] += e.size();
    });
    assertEquals(sum[0], t.count());
    assertEquals(sum[1], t.bytes());
    store.reopen();
    assertEquals(sum[0], store.table.count());
    assertEquals(sum[1], store.table.bytes());
  }

  @Test
  void missing_isNoEntryOrNoFile_eachOnce_inInputOrder() throws IOException {
    ObjectTable t = store.table;
    Digest indexedWithFile = store.writeFile("with file");
    Digest indexedNoFile = digest("entry only");
    Digest fileNoEntry = store.writeFile("file only");
    Digest neither = digest("neither");
    t.put(Map.of(indexedWithFile, new ObjectEntry(9, 1), indexedNoFile, new ObjectEntry(10, 1)));

    List<Digest> missing = t.missing(List.of(neither, indexedWithFile, fileNoEntry, neither, indexedNoFile,
        fileNoEntry));

    assertEquals(List.of(neither, fileNoEntry, indexedNoFile), missing);
    assertEquals(List.of(fileNoEntry, neither), t.notIndexed(List.of(indexedWithFile, fileNoEntry, neither)));
    assertTrue(t.has(indexedWithFile));
    assertFalse(t.has(indexedNoFile));
    assertFalse(t.has(fileNoEntry));
  }

  @Test
  void forEach_visitsOneShardOrAll_inDigestOrder() throws IOException {
    Map<Digest, ObjectEntry> entries = new LinkedHashMap<>();
    for (int i = 0; i < 2000; i++) {
      entries.put(d(i), new ObjectEntry(i, 1));
    }
    store.table.put(entries);

    List<Digest> ab = new ArrayList<>();
    store.table.forEach("ab", (dg, e) -> {
      assertEquals(entries.get(dg), e);
      ab.add(dg);
    });
    List<Digest> all = new ArrayList<>();
    store.table.forEach("", (dg, e) -> all.add(dg));

    List<Digest> expectedAb = entries.keySet().stream().filter(x -> x.shard().equals("ab")).sorted().toList();
    assertFalse(expectedAb.isEmpty());
    assertEquals(expectedAb, ab);
    assertEquals(new ArrayList<>(new TreeSet<>(entries.keySet())), all);
    assertThrows(IllegalArgumentException.class, () -> store.table.forEach("AB", (dg, e) -> {}));
    assertThrows(IllegalArgumentException.class, () -> store.table.forEach("abc", (dg, e) -> {}));
  }

  @Test
  void forEach_whenTheActionThrows_propagatesThatException() throws IOException {
    store.table.put(Map.of(d(1), new ObjectEntry(1, 1), d(2), new ObjectEntry(1, 1)));
    IOException thrown = new IOException("the action's own failure");

    IOException e = assertThrows(IOException.class, () -> store.table.forEach("", (dg, en) -> {
      throw thrown;
    }));

    assertSame(thrown, e);
  }

  @Test
  void takeCleanClose_consumesTheMarker_alsoAcrossReopen() throws IOException {
    assertFalse(store.table.takeCleanClose(), "a new table was never closed in order");
    store.table.markCleanClose();
    assertTrue(store.table.takeCleanClose());
    assertFalse(store.table.takeCleanClose(), "the marker is consumed");

    store.table.markCleanClose();
    store.reopen();
    assertTrue(store.table.takeCleanClose());
    store.reopen();
    assertFalse(store.table.takeCleanClose(), "a writer that did not mark again closed uncleanly");
  }

  @Test
  void load_whenACounterIsDamaged_throwsIndexCorrupt() throws IOException {
    Family counters = store.db.family(ObjectTable.COUNTERS);
    store.db.put(counters, Keys.ascii("object_bytes"), new byte[3], Writes.SYNCED);

    IndexCorruptException e = assertThrows(IndexCorruptException.class, () -> ObjectTable.load(store.db, store.layout));
    assertTrue(e.problem().contains("object_bytes counter"), e.problem());
  }

  @Test
  void getAndPut_whenAnEntryIsDamaged_throwIndexCorrupt_andCountNothing() throws IOException {
    Digest damaged = d(1);
    store.db.put(store.db.family(ObjectTable.OBJECTS), Keys.digest(damaged), new byte[] {1, 2, 3}, Writes.SYNCED);

    assertThrows(IndexCorruptException.class, () -> store.table.get(damaged));
    assertThrows(IndexCorruptException.class, () -> store.table.forEach("", (dg, e) -> {}));
    assertThrows(IndexCorruptException.class,
        () -> store.table.put(Map.of(damaged, new ObjectEntry(5, 1), d(2), new ObjectEntry(7, 1))));
    assertEquals(0, store.table.count());
    assertEquals(0, store.table.bytes());
    assertEquals(Optional.empty(), store.table.get(d(2)), "the failed batch wrote nothing");
  }

  @Test
  void decode_refusesWrongLengthsAndNegativeValues() {
    assertEquals(new ObjectEntry(5, 6), assertDoesNotThrowDecode(ObjectTable.encode(new ObjectEntry(5, 6))));
    assertThrows(IOException.class, () -> ObjectTable.decode(new byte[15]));
    byte[] negative = ByteBuffer.allocate(16).putLong(-1).putLong(0).array();
    assertThrows(IOException.class, () -> ObjectTable.decode(negative));
  }

  private static ObjectEntry assertDoesNotThrowDecode(byte[] v) {
    try {
      return ObjectTable.decode(v);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void has_isFalse_whenTheFileIsADirectory() throws IOException {
    Digest d = digest("a directory in its place");
    Files.createDirectories(store.layout.path(d));
    store.table.put(Map.of(d, new ObjectEntry(1, 1)));
    assertFalse(store.table.has(d));
    assertEquals(List.of(d), store.table.missing(List.of(d)));
  }
}
