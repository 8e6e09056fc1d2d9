package org.closurecache.server.store;

import static org.closurecache.server.store.StoreFixtures.filesUnder;
import static org.closurecache.server.store.StoreFixtures.hashOf;
import static org.closurecache.server.store.StoreFixtures.randomBytes;
import static org.closurecache.server.store.StoreFixtures.stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.server.store.ObjectStore.PutResult;
import org.closurecache.server.store.StoreFixtures.CountingZeros;
import org.closurecache.server.store.StoreFixtures.FailingStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ObjectStorePutTest {
  private static final long CAP = 2L << 20;

  @TempDir Path root;
  private ObjectStore store;
  private final Random random = new Random(42);

  @BeforeEach
  void open() throws IOException {
    store = ObjectStore.open(root, CAP);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 4096, (1 << 20) + 1})
  void put_storesReadOnlyFileAtShardPath_andIndexesIt(int size) throws IOException {
    byte[] data = randomBytes(random, size);
    Digest d = Digest.of(data);

    assertEquals(PutResult.CREATED, store.put(d, stream(data), size));

    Path file = root.resolve("objects").resolve(d.hex().substring(0, 2)).resolve(d.hex());
    assertEquals(Optional.of(file), store.file(d));
    assertArrayEquals(data, Files.readAllBytes(file));
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(size, store.index().object(d).orElseThrow().size());
    assertTrue(store.contains(d));
    assertEquals(1, store.index().objectCount());
    assertEquals(size, store.index().objectBytes());
    assertEquals(List.of(), filesUnder(root.resolve("tmp")));
  }

  @Test
  void put_withUnknownLength_storesObject() throws IOException {
    byte[] data = randomBytes(random, 100_000);
    Digest d = Digest.of(data);
    assertEquals(PutResult.CREATED, store.put(d, stream(data), -1));
    assertEquals(d, hashOf(store.file(d).orElseThrow()));
  }

  @Test
  void put_whenDigestMismatches_leavesNothingBehind() throws IOException {
    byte[] data = randomBytes(random, 10_000);
    Digest claimed = Digest.of("something else".getBytes());

    DigestMismatchException e =
        assertThrows(DigestMismatchException.class, () -> store.put(claimed, stream(data), -1));

    assertEquals(claimed, e.expected());
    assertEquals(Digest.of(data), e.actual());
    assertTrue(e.getMessage().contains(claimed.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(Digest.of(data).toString()), e.getMessage());
    assertNothingStored();
  }

  @Test
  void put_whenDeclaredLengthExceedsCap_refusesBeforeReading() {
    CountingZeros body = new CountingZeros();
    ObjectTooLargeException e = assertThrows(ObjectTooLargeException.class,
        () -> store.put(Digest.of(new byte[0]), body, CAP + 1));
    assertEquals(0, body.read);
    assertEquals(CAP, e.limit());
  }

  @Test
  void put_whenUndeclaredBodyPassesCap_refusesAsSoonAsItPasses() throws IOException {
    CountingZeros body = new CountingZeros(); // endless: 10x the cap would never end either

    assertThrows(ObjectTooLargeException.class,
        () -> store.put(Digest.of(new byte[0]), body, -1));

    assertEquals(CAP + 1, body.read, "read exactly one byte past the cap");
    assertNothingStored();
  }

  @Test
  void put_whenBodyShorterThanDeclared_refuses() throws IOException {
    byte[] data = randomBytes(random, 1000);
    IOException e = assertThrows(IOException.class,
        () -> store.put(Digest.of(data), stream(data), 2000));
    assertTrue(e.getMessage().contains("2000 were declared"), e.getMessage());
    assertNothingStored();
  }

  @Test
  void put_whenStreamFailsHalfWay_deletesTempAndIndexesNothing() throws IOException {
    byte[] data = randomBytes(random, 300_000);
    IOException e = assertThrows(IOException.class,
        () -> store.put(Digest.of(data), new FailingStream(
            java.util.Arrays.copyOf(data, 150_000)), data.length));
    assertTrue(e.getMessage().contains("simulated"), e.getMessage());
    assertNothingStored();
  }

  @Test
  void put_sameObjectTwice_keepsOneFileAndCountsOnce() throws IOException {
    byte[] data = randomBytes(random, 5000);
    Digest d = Digest.of(data);
    assertEquals(PutResult.CREATED, store.put(d, stream(data), -1));
    assertEquals(PutResult.ALREADY_PRESENT, store.put(d, stream(data), -1));
    assertEquals(1, filesUnder(root.resolve("objects")).size());
    assertEquals(1, store.index().objectCount());
    assertEquals(5000, store.index().objectBytes());
  }

  @Test
  void put_alreadyPresent_stillVerifiesTheBody() throws IOException {
    byte[] data = randomBytes(random, 5000);
    Digest d = Digest.of(data);
    store.put(d, stream(data), -1);
    byte[] corrupted = data.clone();
    corrupted[0] ^= 1;
    assertThrows(DigestMismatchException.class, () -> store.put(d, stream(corrupted), -1));
    assertArrayEquals(data, Files.readAllBytes(store.file(d).orElseThrow()));
  }

  @Test
  void put_sameObjectFrom8ThreadsAtOnce_allSucceedWithOneFile() throws Exception {
    byte[] data = randomBytes(random, 256 * 1024);
    Digest d = Digest.of(data);
    CountDownLatch start = new CountDownLatch(1);
    List<Callable<PutResult>> tasks = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      tasks.add(() -> {
        start.await();
        return store.put(d, stream(data), data.length);
      });
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<PutResult>> futures = new ArrayList<>();
      tasks.forEach(t -> futures.add(pool.submit(t)));
      start.countDown();
      for (Future<PutResult> f : futures) {
        f.get(); // rethrows any failure
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(store.layout().objectPath(d)), filesUnder(root.resolve("objects")));
    assertEquals(1, store.index().objectCount());
    assertEquals(data.length, store.index().objectBytes());
    assertEquals(List.of(), filesUnder(root.resolve("tmp")));
  }

  @Test
  void put_8ThreadsX50DistinctObjects_allStoredWithExactCounters() throws Exception {
    int threads = 8;
    int perThread = 50;
    int size = 4096;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<Digest>>> futures = new ArrayList<>();
    long started = System.nanoTime();
    try {
      for (int t = 0; t < threads; t++) {
        long seed = t;
        futures.add(pool.submit(() -> {
          Random r = new Random(seed);
          List<Digest> mine = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            byte[] data = randomBytes(r, size);
            Digest d = Digest.of(data);
            assertEquals(PutResult.CREATED, store.put(d, stream(data), size));
            mine.add(d);
          }
          return mine;
        }));
      }
      List<Digest> all = new ArrayList<>();
      for (Future<List<Digest>> f : futures) {
        all.addAll(f.get());
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("[store] %d concurrent 4 KiB puts in %.2f s: %.0f puts/s%n",
          all.size(), seconds, all.size() / seconds);
      assertEquals(threads * perThread, all.size());
      assertEquals(List.of(), store.missing(all));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(threads * perThread, store.index().objectCount());
    assertEquals((long) threads * perThread * size, store.index().objectBytes());
    assertEquals(threads * perThread, filesUnder(root.resolve("objects")).size());
    assertEquals(List.of(), filesUnder(root.resolve("tmp")));
  }

  @Test
  void delete_removesFilesAndEntries_andReportsBytesFreed() throws IOException {
    byte[] a = randomBytes(random, 1000);
    byte[] b = randomBytes(random, 3000);
    store.put(Digest.of(a), stream(a), -1);
    store.put(Digest.of(b), stream(b), -1);
    Digest never = Digest.of(new byte[] {7});

    long freed = store.delete(List.of(Digest.of(a), never, Digest.of(a)));

    assertEquals(1000, freed);
    assertFalse(store.contains(Digest.of(a)));
    assertEquals(Optional.empty(), store.file(Digest.of(a)));
    assertTrue(store.contains(Digest.of(b)));
    assertEquals(1, store.index().objectCount());
    assertEquals(3000, store.index().objectBytes());
  }

  @Test
  void missing_reportsObjectsWhoseFileIsGoneEvenIfIndexed() throws IOException {
    byte[] a = randomBytes(random, 10);
    Digest d = Digest.of(a);
    store.put(d, stream(a), -1);
    Files.delete(store.layout().objectPath(d));
    assertEquals(List.of(d), store.missing(List.of(d)));
    assertFalse(store.contains(d));
  }

  private void assertNothingStored() throws IOException {
    assertEquals(List.of(), filesUnder(root.resolve("tmp")));
    assertEquals(List.of(), filesUnder(root.resolve("objects")));
    assertEquals(0, store.index().objectCount());
    assertEquals(0, store.index().objectBytes());
    List<Digest> entries = new ArrayList<>();
    store.index().forEachObject((d, r) -> entries.add(d));
    assertEquals(List.of(), entries);
  }
}
