package org.closurecache.store.index;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle, locking, read-only mode, batches and error translation of {@link IndexDatabase}. */
class IndexDatabaseTest {
  @TempDir Path dir;
  private final List<IndexDatabase> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(IndexDatabase::close);
  }

  private IndexDatabase open() throws IOException {
    IndexDatabase db = IndexDatabase.open(dir, TestIndexes.SPEC);
    opened.add(db);
    return db;
  }

  private IndexDatabase openReadOnly() throws IOException {
    IndexDatabase db = IndexDatabase.openReadOnly(dir, TestIndexes.SPEC);
    opened.add(db);
    return db;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void close_twice_isFine_andReopenSeesTheData() throws IOException {
    IndexDatabase db = open();
    db.put(db.family("a"), utf8("k"), utf8("v"), Writes.SYNCED);
    db.close();
    db.close();

    IndexDatabase again = open();
    assertArrayEquals(utf8("v"), again.get(again.family("a"), utf8("k")));
    assertEquals(dir.toAbsolutePath().normalize(), again.dir());
    assertFalse(again.readOnly());
  }

  @Test
  void everyCall_afterClose_throwsIllegalStateNamingTheDirectory() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    db.close();

    List<Runnable> calls = List.of(
        () -> call(() -> db.get(a, utf8("k"))),
        () -> call(() -> db.get(a, utf8("k"), v -> v)),
        () -> call(() -> db.multiGet(a, List.of(utf8("k")))),
        () -> call(() -> {
          db.put(a, utf8("k"), utf8("v"), Writes.RELAXED);
          return null;
        }),
        () -> call(() -> {
          db.scan(a, new byte[0], (k, v) -> {});
          return null;
        }),
        () -> call(() -> db.lastKey(a, new byte[0], utf8("z"))));
    for (Runnable c : calls) {
      IllegalStateException e = assertThrows(IllegalStateException.class, c::run);
      assertTrue(e.getMessage().contains("closed"), e.getMessage());
      assertTrue(e.getMessage().contains(dir.toAbsolutePath().normalize().toString()), e.getMessage());
    }
  }

  @Test
  @Timeout(30)
  void close_whileAScanIsInFlight_waitsForItToFinish() throws Exception {
    IndexDatabase db = open();
    Family a = db.family("a");
    for (int i = 0; i < 10; i++) {
      db.put(a, utf8("k" + i), utf8("v" + i), Writes.RELAXED);
    }
    CountDownLatch inVisitor = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger visited = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> scan = pool.submit(() -> {
        db.scan(a, new byte[0], (k, v) -> {
          if (visited.incrementAndGet() == 1) {
            inVisitor.countDown();
            try {
              assertTrue(release.await(20, TimeUnit.SECONDS), "never released");
            } catch (InterruptedException e) {
              throw new InterruptedIOException("interrupted in the visitor");
            }
          }
        });
        return null;
      });
      assertTrue(inVisitor.await(10, TimeUnit.SECONDS), "the scan never reached its visitor");

      AtomicBoolean closeReturned = new AtomicBoolean();
      Thread closer = new Thread(() -> {
        db.close();
        closeReturned.set(true);
      }, "closer");
      closer.start();
      // Wait until the closer is parked on the lifecycle lock: then close() has been called and is waiting.
      awaitCondition(() -> closeReturned.get() || LockSupport.getBlocker(closer) != null,
          "close() to return or block on the lock");
      assertFalse(closeReturned.get(), "close() returned while a visitor was still running");
      assertTrue(closer.isAlive());

      release.countDown();
      scan.get(10, TimeUnit.SECONDS); // the scan ran to its end on an open database
      closer.join(10_000);
      assertTrue(closeReturned.get(), "close() did not return once the scan ended");
      assertEquals(10, visited.get());
      assertThrows(IllegalStateException.class, () -> db.get(a, utf8("k0")));
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void open_whileOpenInThisProcess_throwsIndexLockedWithTheAdviceAndThePath() throws IOException {
    open();
    IndexLockedException e = assertThrows(IndexLockedException.class, this::open);
    assertTrue(e.getMessage().contains(TestIndexes.LOCKED_ADVICE), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toAbsolutePath().normalize().toString()), e.getMessage());
    assertEquals(dir.toAbsolutePath().normalize(), e.indexDir());
  }

  @Test
  void open_leavesTheLockFileReadableByItsOwnerOnly() throws IOException {
    open().close();
    Files.setAttribute(dir.resolve("LOCK"), "unix:mode", 0644); // as RocksDB makes it under a 022 umask
    open();
    assertEquals(0600, (Integer) Files.getAttribute(dir.resolve("LOCK"), "unix:mode") & 0777);
  }

  @Test
  void openReadOnly_ofADirectoryWithNoDatabase_isAnIOExceptionNamingIt_notCorruption() {
    Path none = dir.resolve("none");
    IOException e = assertThrows(IOException.class, () -> IndexDatabase.openReadOnly(none, TestIndexes.SPEC));
    assertFalse(e instanceof IndexCorruptException, e.toString());
    assertTrue(e.getMessage().contains(none.toString()), e.getMessage());
  }

  @Test
  void readOnly_refusesWrites_andSeesTheDatabaseAsOfItsOpening() throws IOException {
    IndexDatabase writer = open();
    Family a = writer.family("a");
    writer.put(a, utf8("before"), utf8("1"), Writes.RELAXED);

    IndexDatabase reader = openReadOnly(); // no lock: beside the writer
    writer.put(a, utf8("after"), utf8("2"), Writes.SYNCED);
    writer.delete(a, utf8("before"), Writes.SYNCED);

    assertTrue(reader.readOnly());
    assertArrayEquals(utf8("1"), reader.get(a, utf8("before")));
    assertNull(reader.get(a, utf8("after")));
    List<String> keys = new ArrayList<>();
    reader.scan(a, new byte[0], (k, v) -> keys.add(new String(k, UTF_8)));
    assertEquals(List.of("before"), keys);
    for (Runnable write : List.<Runnable>of(
        () -> call(() -> {
          reader.put(a, utf8("x"), utf8("y"), Writes.SYNCED);
          return null;
        }),
        () -> call(() -> {
          reader.delete(a, utf8("before"), Writes.RELAXED);
          return null;
        }),
        () -> call(() -> {
          reader.write(new IndexBatch().put(a, utf8("x"), utf8("y")), Writes.RELAXED);
          return null;
        }))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, write::run);
      assertTrue(e.getMessage().contains("read-only"), e.getMessage());
      assertTrue(e.getMessage().contains(dir.toAbsolutePath().normalize().toString()), e.getMessage());
    }
    assertArrayEquals(utf8("2"), writer.get(a, utf8("after")));
  }

  @Test
  void write_ofABatch_appliesPutsAndDeletesInEveryFamilyTogether() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    Family b = db.family("b");
    db.write(new IndexBatch().put(a, utf8("old"), utf8("x")).put(b, utf8("old"), utf8("x")), Writes.SYNCED);

    db.write(new IndexBatch()
        .delete(a, utf8("old"))
        .put(a, utf8("new"), utf8("1"))
        .delete(b, utf8("old"))
        .put(b, utf8("new"), utf8("2"))
        .delete(b, utf8("never-there")), Writes.RELAXED);

    assertNull(db.get(a, utf8("old")));
    assertNull(db.get(b, utf8("old")));
    assertArrayEquals(utf8("1"), db.get(a, utf8("new")));
    assertArrayEquals(utf8("2"), db.get(b, utf8("new")));
    assertEquals(List.of("new"), keys(db, a));
  }

  @Test
  @Timeout(60)
  void write_ofABatch_isNeverSeenHalfApplied_byAConcurrentScan() throws Exception {
    IndexDatabase db = open();
    Family a = db.family("a");
    int width = 50;
    db.write(generation(a, 0, width), Writes.RELAXED);
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      // Each batch deletes one generation's keys and puts the next one's: a scan (an implicit
      // snapshot) must always see exactly one whole generation.
      Future<Integer> scans = pool.submit(() -> {
        int n = 0;
        while (!done.get()) {
          List<String> seen = keys(db, a);
          assertEquals(width, seen.size(), "a scan saw " + seen);
          String gen = seen.get(0).substring(0, seen.get(0).indexOf('/'));
          assertTrue(seen.stream().allMatch(k -> k.startsWith(gen + "/")), "mixed generations: " + seen);
          n++;
        }
        return n;
      });
      for (int g = 1; g <= 300; g++) {
        IndexBatch batch = generation(a, g, width);
        for (int i = 0; i < width; i++) {
          batch.delete(a, key(g - 1, i));
        }
        db.write(batch, Writes.RELAXED);
      }
      done.set(true);
      assertTrue(scans.get(30, TimeUnit.SECONDS) > 0);
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
  }

  @Test
  void write_ofABatchWithAFamilyOfAnotherSpec_failsBeforeApplyingAnything() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    Family foreign = new Family("elsewhere", 99);

    assertThrows(IndexOutOfBoundsException.class, () -> db.write(new IndexBatch()
        .put(a, utf8("first"), utf8("1"))
        .put(foreign, utf8("second"), utf8("2")), Writes.SYNCED));

    assertNull(db.get(a, utf8("first")));
  }

  private static byte[] key(int generation, int i) {
    return utf8(String.format("%04d/%03d", generation, i));
  }

  private static IndexBatch generation(Family f, int generation, int width) {
    IndexBatch batch = new IndexBatch();
    for (int i = 0; i < width; i++) {
      batch.put(f, key(generation, i), utf8("v"));
    }
    return batch;
  }

  @Test
  void writes_syncedAndRelaxed_areBothReadableAfterReopen() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    db.put(a, utf8("synced"), utf8("s"), Writes.SYNCED);
    db.put(a, utf8("relaxed"), utf8("r"), Writes.RELAXED);
    db.write(new IndexBatch().put(a, utf8("batch"), utf8("b")), Writes.RELAXED);
    db.close();

    IndexDatabase again = open();
    assertArrayEquals(utf8("s"), again.get(a, utf8("synced")));
    assertArrayEquals(utf8("r"), again.get(a, utf8("relaxed")));
    assertArrayEquals(utf8("b"), again.get(a, utf8("batch")));
  }

  @Test
  void multiGet_returnsValuesInOrder_nullWhereAbsent_acrossItsInternalBatches() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    IndexBatch batch = new IndexBatch();
    List<byte[]> query = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      if (i % 3 == 0) {
        batch.put(a, utf8("k" + i), utf8("v" + i));
      }
      query.add(utf8("k" + i));
    }
    db.write(batch, Writes.RELAXED);

    List<byte[]> values = db.multiGet(a, query);

    assertEquals(3000, values.size());
    for (int i = 0; i < 3000; i++) {
      if (i % 3 == 0) {
        assertArrayEquals(utf8("v" + i), values.get(i), "key " + i);
      } else {
        assertNull(values.get(i), "key " + i);
      }
    }
  }

  @Test
  void scanAndLastKey_keepToTheirPrefix() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    for (String k : List.of("p", "pa", "pb", "pz", "q", "o")) {
      db.put(a, utf8(k), utf8("v"), Writes.RELAXED);
    }
    List<String> seen = new ArrayList<>();
    db.scan(a, utf8("p"), (k, v) -> seen.add(new String(k, UTF_8)));
    assertEquals(List.of("p", "pa", "pb", "pz"), seen);
    assertEquals("pb", new String(db.lastKey(a, utf8("p"), utf8("pc")).orElseThrow(), UTF_8));
    assertEquals(Optional.empty(), db.lastKey(a, utf8("r"), utf8("rz")).map(String::new));
    assertEquals(Optional.empty(), db.lastKey(a, utf8("q"), utf8("p")).map(String::new));
  }

  @Test
  void get_whenTheDecoderRejectsTheValue_throwsIndexCorruptWithTheAdvice() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    db.put(a, utf8("k"), utf8("not a long"), Writes.RELAXED);

    IndexCorruptException e = assertThrows(IndexCorruptException.class,
        () -> db.get(a, utf8("k"), v -> Keys.decodeLong(v, "a value")));

    assertTrue(e.problem().contains("a value value is 10 bytes, expected 8"), e.problem());
    assertCarriesAdvice(e);
    assertTrue(e.getCause() instanceof CorruptEntryException, String.valueOf(e.getCause()));
  }

  @Test
  void scanAndDecode_whenADecoderRejects_throwIndexCorrupt() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    db.put(a, utf8("k"), utf8("x"), Writes.RELAXED);

    IndexCorruptException inScan = assertThrows(IndexCorruptException.class,
        () -> db.scan(a, new byte[0], (k, v) -> Keys.decodeLong(v, "scanned")));
    assertCarriesAdvice(inScan);
    IndexCorruptException outside = assertThrows(IndexCorruptException.class,
        () -> db.decode(() -> Keys.decodeLong(new byte[3], "decoded")));
    assertCarriesAdvice(outside);
    assertTrue(outside.problem().contains("decoded"), outside.problem());
  }

  @Test
  void scan_whenTheVisitorThrowsAnIOException_propagatesItUnchanged() throws IOException {
    IndexDatabase db = open();
    Family a = db.family("a");
    db.put(a, utf8("k1"), utf8("v"), Writes.RELAXED);
    db.put(a, utf8("k2"), utf8("v"), Writes.RELAXED);
    IOException thrown = new IOException("the visitor's own failure");
    AtomicInteger visits = new AtomicInteger();

    IOException e = assertThrows(IOException.class, () -> db.scan(a, new byte[0], (k, v) -> {
      visits.incrementAndGet();
      throw thrown;
    }));

    assertSame(thrown, e);
    assertEquals(1, visits.get(), "the scan stops at the first failure");
    db.put(a, utf8("k3"), utf8("v"), Writes.RELAXED); // and the database stays usable
  }

  @Test
  void family_ofAnUnknownName_isIllegalArgumentNamingTheKnownOnes() throws IOException {
    IndexDatabase db = open();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> db.family("nope"));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    assertTrue(e.getMessage().contains("[a, b]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> db.family("default"));
  }

  static List<String> keys(IndexDatabase db, Family f) throws IOException {
    List<String> keys = new ArrayList<>();
    db.scan(f, new byte[0], (k, v) -> keys.add(new String(k, UTF_8)));
    return keys;
  }

  static void assertCarriesAdvice(IndexCorruptException e) {
    String expectedAdvice = TestIndexes.SPEC.repairAdvice().apply(e.indexDir());
    assertTrue(e.getMessage().contains(expectedAdvice), e.getMessage());
    assertTrue(e.getMessage().contains(e.indexDir().toString()), e.getMessage());
  }

  /** Waits for {@code condition} for at most ten seconds, spinning (no sleeps). */
  static void awaitCondition(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  @FunctionalInterface
  interface IoCall {
    Object run() throws IOException;
  }

  /** Runs {@code c}, failing the test on a checked exception: for asserting runtime ones. */
  static void call(IoCall c) {
    try {
      c.run();
    } catch (IOException e) {
      throw new AssertionError("expected a runtime exception, got " + e, e);
    }
  }
}
