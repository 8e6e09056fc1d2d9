package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.store.fs.Durability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCacheCommitTest {
  private static final int OBJECTS = 1000;
  private static final int SIZE = 4096;
  private static final int BATCH = 256;

  @TempDir Path dir;

  @Test
  void commit_of1000Objects_inBatchesOf256_allPresentReadOnlyIndexedExactly_andFasterThanFsyncEach()
      throws IOException {
    Random random = new Random(1);
    try (NodeCache cache = NodeCache.open(dir.resolve("cache"), Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), random, OBJECTS, SIZE);
      long start = System.nanoTime();
      for (int i = 0; i < staged.size(); i += BATCH) {
        cache.commit(staged.subList(i, Math.min(staged.size(), i + BATCH)));
      }
      double batched = OBJECTS / ((System.nanoTime() - start) / 1e9);

      for (Staged s : staged) {
        Path p = cache.layout().objectPath(s.digest());
        assertTrue(cache.hasObject(s.digest()), s.digest().toString());
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        assertArrayEqualsFile(s, p);
      }
      assertEquals(OBJECTS, cache.objectCount());
      assertEquals((long) OBJECTS * SIZE, cache.objectBytes());
      try (Stream<Path> tmp = Files.list(cache.layout().tmpDir())) {
        assertEquals(0, tmp.count(), "every temp file was renamed");
      }

      double perObject = fsyncEachObjectsPerSecond(dir.resolve("baseline"), random);
      System.out.printf("commit of %d x %d B objects: batched (batches of %d, syncfs) %.0f objects/s;"
          + " create+write+fsync+rename+dir-fsync per object %.0f objects/s%n",
          OBJECTS, SIZE, BATCH, batched, perObject);
    }
  }

  @Test
  void commit_withoutTheSyncCommand_fallsBackToOneFsyncPerFileAndDirectory() throws IOException {
    Random random = new Random(6);
    Durability.useSyncCommand(false);
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), random, OBJECTS, SIZE);
      long start = System.nanoTime();
      for (int i = 0; i < staged.size(); i += BATCH) {
        cache.commit(staged.subList(i, Math.min(staged.size(), i + BATCH)));
      }
      double rate = OBJECTS / ((System.nanoTime() - start) / 1e9);
      assertEquals(OBJECTS, cache.objectCount());
      assertEquals(List.of(), cache.missing(staged.stream().map(Staged::digest).toList()));
      System.out.printf("commit of %d x %d B objects, fallback (fsync per file, then per shard dir): %.0f objects/s%n",
          OBJECTS, SIZE, rate);
    } finally {
      Durability.useSyncCommand(true);
    }
  }

  /** The baseline: the classic durable write, one object at a time. */
  private static double fsyncEachObjectsPerSecond(Path root, Random random) throws IOException {
    Path tmp = Files.createDirectories(root.resolve("tmp"));
    Path objects = Files.createDirectories(root.resolve("objects"));
    List<byte[]> data = new ArrayList<>();
    for (int i = 0; i < OBJECTS; i++) {
      data.add(CacheFixtures.randomBytes(random, SIZE));
    }
    long start = System.nanoTime();
    for (byte[] bytes : data) {
      Digest d = Digest.of(bytes);
      Path temp = Files.createTempFile(tmp, "o-", ".tmp");
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes));
        ch.force(true);
      }
      Path shard = Files.createDirectories(objects.resolve(d.shard()));
      Files.move(temp, shard.resolve(d.hex()), StandardCopyOption.ATOMIC_MOVE);
      Durability.fsyncDirectory(shard);
    }
    return OBJECTS / ((System.nanoTime() - start) / 1e9);
  }

  private static void assertArrayEqualsFile(Staged s, Path p) throws IOException {
    assertEquals(s.digest(), Digest.of(Files.readAllBytes(p)));
  }

  @Test
  void commit_whenOneTempFileVanished_indexesTheOthersAndThrowsNamingOnlyThatOne() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), new Random(2), 10, 100);
      Staged gone = staged.get(4);
      Files.delete(gone.tempFile());

      PartialCommitException e = assertThrows(PartialCommitException.class, () -> cache.commit(staged));

      assertEquals(List.of(gone.digest()), e.failed());
      assertEquals(9, e.committed().size());
      assertFalse(cache.hasObject(gone.digest()));
      assertEquals(List.of(gone.digest()), cache.missing(staged.stream().map(Staged::digest).toList()));
      assertEquals(9, cache.objectCount());
      assertEquals(1, e.getSuppressed().length, "the cause of the failure is attached");
    }
  }

  @Test
  void commit_whenStagedFileChangedSize_refusesThatObject() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), new Random(3), 3, 100);
      Files.write(staged.get(1).tempFile(), new byte[] {1}, StandardOpenOption.APPEND);

      PartialCommitException e = assertThrows(PartialCommitException.class, () -> cache.commit(staged));

      assertEquals(List.of(staged.get(1).digest()), e.failed());
      assertFalse(Files.exists(staged.get(1).tempFile()), "the refused temp file is deleted");
      assertEquals(2, cache.objectCount());
    }
  }

  @Test
  void commit_whenTempFileIsOutsideTmp_refusesBeforeTouchingAnything() throws IOException {
    try (NodeCache cache = NodeCache.open(dir.resolve("c"), Waiter.silent())) {
      Path outside = Files.write(dir.resolve("outside"), new byte[] {1, 2, 3});
      Staged s = NodeCache.stage(Digest.of(new byte[] {1, 2, 3}), outside);

      assertThrows(IllegalArgumentException.class, () -> cache.commit(List.of(s)));

      assertTrue(Files.exists(outside));
      assertEquals(0, cache.objectCount());
    }
  }

  @Test
  void commit_ofAnObjectAlreadyPresent_succeedsDeletesTheTempFileAndCountsItOnce() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      byte[] bytes = CacheFixtures.randomBytes(new Random(4), 500);
      cache.commit(List.of(CacheFixtures.stage(cache.layout(), bytes)));
      Staged again = CacheFixtures.stage(cache.layout(), bytes);
      Staged twiceInBatch = CacheFixtures.stage(cache.layout(), bytes);

      cache.commit(List.of(again, twiceInBatch));

      assertFalse(Files.exists(again.tempFile()));
      assertFalse(Files.exists(twiceInBatch.tempFile()));
      assertEquals(1, cache.objectCount());
      assertEquals(500, cache.objectBytes());
    }
  }

  @Test
  void stage_whenBytesDoNotHashToTheDigest_throwsDigestMismatchWithBoth() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      Path temp = cache.layout().newTempFile();
      Files.write(temp, new byte[] {1, 2, 3});
      Digest claimed = Digest.of(new byte[] {1, 2, 4});

      DigestMismatchException e = assertThrows(DigestMismatchException.class, () -> NodeCache.stage(claimed, temp));

      assertEquals(claimed, e.expected());
      assertEquals(Digest.of(new byte[] {1, 2, 3}), e.actual());
      Staged ok = NodeCache.stage(Digest.of(new byte[] {1, 2, 3}), temp);
      assertEquals(3, ok.size());
    }
  }

  @Test
  void missing_keepsInputOrder_dropsDuplicates_andCountsAnIndexedObjectWithoutFileAsMissing()
      throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), new Random(5), 2, 10);
      cache.commit(staged);
      Digest a = Digest.of(new byte[] {9});
      Digest b = Digest.of(new byte[] {8});
      Digest present = staged.get(0).digest();
      Digest fileGone = staged.get(1).digest();
      Files.delete(cache.layout().objectPath(fileGone));

      assertEquals(List.of(b, fileGone, a), cache.missing(List.of(b, present, fileGone, a, b)));
      assertFalse(cache.hasObject(fileGone));
    }
  }
}
