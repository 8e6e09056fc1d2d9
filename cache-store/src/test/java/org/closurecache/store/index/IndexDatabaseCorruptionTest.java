package org.closurecache.store.index;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link IndexDatabase} does with a damaged database directory: each case either ends in an
 * {@link IndexCorruptException} naming the directory and carrying the spec's advice, or, where
 * RocksDB's recovery silently drops what it cannot read, asserts exactly what is lost.
 */
class IndexDatabaseCorruptionTest {
  @TempDir Path dir;

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  private static final IndexSpec TINY = TestIndexes.spec(List.of("a", "b"), TestIndexes.TINY);
  private static final List<String> SMALL_KEYS = List.of("k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9");
  /** Keys of the first memtable {@link #writeSsts} flushes: all in the oldest SST file. */
  private static final List<String> FIRST_SST_KEYS = List.of("k000000", "k000001", "k000002");

  @Test
  void open_whenCurrentIsGarbage_throwsIndexCorruptNamingTheDirectoryWithTheAdvice() throws IOException {
    writeTen(dir);
    Files.write(dir.resolve("CURRENT"), random(40, 1));

    assertCorrupt(assertThrows(IndexCorruptException.class, () -> IndexDatabase.open(dir, TestIndexes.SPEC)));
    assertCorrupt(assertThrows(IndexCorruptException.class,
        () -> IndexDatabase.openReadOnly(dir, TestIndexes.SPEC)));
  }

  @Test
  void open_whenCurrentIsEmpty_throwsIndexCorrupt() throws IOException {
    writeTen(dir);
    Files.write(dir.resolve("CURRENT"), new byte[0]);

    assertCorrupt(assertThrows(IndexCorruptException.class, () -> IndexDatabase.open(dir, TestIndexes.SPEC)));
  }

  @Test
  void open_whenTheManifestIsGarbled_throwsIndexCorrupt() throws IOException {
    writeTen(dir);
    overwrite(first(dir, "MANIFEST-"), 20, random(100, 2));

    assertCorrupt(assertThrows(IndexCorruptException.class, () -> IndexDatabase.open(dir, TestIndexes.SPEC)));
  }

  /**
   * Documents RocksDB's default WAL recovery (point in time): replay stops at the first record
   * that fails its checksum and everything from there on is dropped without an error. Random
   * bytes over the start of the log therefore lose every record, and the database opens empty
   * and writable. The index is derived: the reconcilers and fsck must find the loss from the files.
   */
  @Test
  void open_whenRandomBytesOverwriteTheStartOfTheWal_opensAndHasSilentlyDroppedEveryRecord() throws IOException {
    writeTen(dir);
    Path wal = first(dir, ".log");
    assertTrue(Files.size(wal) > 200, "the records are in the WAL, not yet in an SST: " + Files.size(wal));
    overwrite(wal, 0, random(200, 3));

    try (IndexDatabase db = IndexDatabase.open(dir, TestIndexes.SPEC)) {
      Family a = db.family("a");
      assertEquals(List.of(), IndexDatabaseTest.keys(db, a));
      for (byte[] v : db.multiGet(a, SMALL_KEYS.stream().map(IndexDatabaseCorruptionTest::utf8).toList())) {
        assertNull(v);
      }
      db.put(a, utf8("after"), utf8("x"), Writes.SYNCED);
    }
    try (IndexDatabase db = IndexDatabase.open(dir, TestIndexes.SPEC)) {
      assertEquals(List.of("after"), IndexDatabaseTest.keys(db, db.family("a")));
    }
  }

  /** As above, with the damage midway: the records before it survive, it and all after are dropped. */
  @Test
  void open_whenTheWalIsDamagedMidway_keepsOnlyTheRecordsBeforeTheDamage() throws IOException {
    writeTen(dir);
    overwrite(first(dir, ".log"), 100, random(40, 4));

    try (IndexDatabase db = IndexDatabase.open(dir, TestIndexes.SPEC)) {
      assertEquals(List.of("k0", "k1", "k2"), IndexDatabaseTest.keys(db, db.family("a")));
    }
  }

  /** A torn last record (a power loss mid-write) is dropped alone; the database opens. */
  @Test
  void open_whenTheWalTailIsTruncated_dropsOnlyTheLastRecord() throws IOException {
    writeTen(dir);
    Path wal = first(dir, ".log");
    try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(wal) - 10);
    }

    try (IndexDatabase db = IndexDatabase.open(dir, TestIndexes.SPEC)) {
      assertEquals(SMALL_KEYS.subList(0, 9), IndexDatabaseTest.keys(db, db.family("a")));
    }
  }

  @Test
  void reads_whenAnSstIsTruncated_throwIndexCorrupt() throws IOException {
    writeSsts(dir);
    Path sst = first(dir, ".sst");
    try (FileChannel ch = FileChannel.open(sst, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(sst) / 2);
    }
    assertReadsOfTheFirstSstThrowCorrupt();
  }

  @Test
  void reads_whenAnSstBlockIsGarbled_throwIndexCorrupt() throws IOException {
    writeSsts(dir);
    overwrite(first(dir, ".sst"), 100, random(100, 5));
    assertReadsOfTheFirstSstThrowCorrupt();
  }

  @Test
  void reads_whenAnSstFooterIsGarbled_throwIndexCorrupt() throws IOException {
    writeSsts(dir);
    Path sst = first(dir, ".sst");
    overwrite(sst, Files.size(sst) - 30, random(30, 6));
    assertReadsOfTheFirstSstThrowCorrupt();
  }

  /**
   * The database opens (RocksDB reads SST files lazily), but every read that reaches the damaged
   * file says so: a get, a scan, and a multiGet, which must not report a damaged key as absent.
   */
  private void assertReadsOfTheFirstSstThrowCorrupt() throws IOException {
    try (IndexDatabase db = IndexDatabase.open(dir, TINY)) {
      Family a = db.family("a");
      assertArrayEquals(expectedValue(3999), db.get(a, utf8(key(3999))), "the newest SST is intact");
      assertCorrupt(assertThrows(IndexCorruptException.class, () -> db.get(a, utf8(FIRST_SST_KEYS.get(0)))));
      assertCorrupt(assertThrows(IndexCorruptException.class, () -> db.scan(a, new byte[0], (k, v) -> {})));
      assertCorrupt(assertThrows(IndexCorruptException.class,
          () -> db.multiGet(a, FIRST_SST_KEYS.stream().map(IndexDatabaseCorruptionTest::utf8).toList())));
    }
  }

  private static void assertCorrupt(IndexCorruptException e) {
    IndexDatabaseTest.assertCarriesAdvice(e);
    assertTrue(e.getMessage().contains(" is damaged ("), e.getMessage());
  }

  /** Ten synced records in family {@code a}, left in the WAL: RocksDB does not flush at close. */
  private static void writeTen(Path d) throws IOException {
    try (IndexDatabase db = IndexDatabase.open(d, TestIndexes.SPEC)) {
      Family a = db.family("a");
      for (int i = 0; i < 10; i++) {
        db.put(a, utf8("k" + i), utf8("v" + i), Writes.SYNCED);
      }
    }
  }

  /**
   * 4,000 records of ~100 bytes in key order, with a 64 KiB write buffer: several memtables are
   * flushed into SST files while writing (closing does not flush with the WAL on).
   */
  private static void writeSsts(Path d) throws IOException {
    try (IndexDatabase db = IndexDatabase.open(d, TINY)) {
      Family a = db.family("a");
      for (int i = 0; i < 4000; i++) {
        db.put(a, utf8(key(i)), expectedValue(i), Writes.RELAXED);
      }
    }
    try (Stream<Path> s = Files.list(d)) {
      assertTrue(s.filter(p -> p.toString().endsWith(".sst")).count() >= 2, "no SSTs were flushed");
    }
  }

  private static String key(int i) {
    return String.format("k%06d", i);
  }

  private static byte[] expectedValue(int i) {
    return random(100, i);
  }

  private static void overwrite(Path f, long at, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), at);
    }
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** The first file (in name order, so the oldest numbered) whose name contains {@code part}. */
  private static Path first(Path d, String part) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> p.getFileName().toString().contains(part)).sorted().findFirst().orElseThrow();
    }
  }

  @Test
  void open_whenAnSstTheManifestNamesWasDeleted_isIndexCorrupt_withTheAdvice() throws Exception {
    writeSsts(dir);
    try (var s = Files.list(dir)) {
      for (Path sst : s.filter(f -> f.toString().endsWith(".sst")).toList()) {
        Files.delete(sst);
      }
    }
    assertCorrupt(assertThrows(IndexCorruptException.class, () -> IndexDatabase.open(dir, TINY).close()));
  }

}
