package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.closurecache.client.cache.CacheFixtures.Closure;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCacheFsckTest {
  @TempDir Path dir;

  @Test
  void fsck_onAHealthyCache_findsNothing() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      cache.commit(CacheFixtures.stageRandom(cache.layout(), new Random(1), 20, 100));
      FsckReport r = cache.fsck();
      assertTrue(r.clean(), r.toString());
      assertEquals(20, r.objectsChecked());
    }
  }

  @Test
  void fsck_quarantinesAFlippedObject_reportsADeletedOne_indexesAStrayOne_andRevokesCompleteness()
      throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), new Random(2), 4, 1000);
      Closure closure = CacheFixtures.closure("app", staged.subList(0, 3));
      cache.putManifest(closure.digest(), closure.envelope());
      cache.commit(staged.subList(0, 3));
      cache.markComplete(closure.digest());
      Digest flipped = staged.get(0).digest();
      Digest deleted = staged.get(1).digest();
      Path flippedFile = cache.layout().objectPath(flipped);
      flipByte(flippedFile);
      Files.delete(cache.layout().objectPath(deleted));
      // An object that reached objects/ without an index entry (e.g. the index write was lost).
      Staged stray = staged.get(3);
      Path strayPath = cache.layout().objectPath(stray.digest());
      Files.createDirectories(strayPath.getParent());
      Files.move(stray.tempFile(), strayPath);
      Path garbage = Files.write(cache.layout().objectsDir().resolve("not-an-object"), new byte[] {1});

      FsckReport r = cache.fsck();

      assertEquals(List.of(flipped), r.corrupt());
      assertEquals(List.of(deleted), r.missingFiles());
      assertEquals(1, r.unindexedFilesIndexed());
      assertEquals(2, r.quarantined(), "the flipped object and the garbage file");
      assertEquals(List.of(closure.digest()), r.incompleteClosures());
      assertEquals(List.of(flipped, deleted).stream().sorted().toList(), r.refetch());
      assertEquals(3, r.objectsChecked(), "two survivors plus the flipped one");
      assertFalse(cache.isComplete(closure.digest()));
      assertFalse(Files.exists(flippedFile));
      assertFalse(Files.exists(garbage));
      try (Stream<Path> q = Files.walk(cache.layout().quarantineDir())) {
        assertTrue(q.anyMatch(p -> p.getFileName().toString().equals(flipped.hex())));
      }
      assertFalse(cache.hasObject(flipped));
      assertTrue(cache.hasObject(stray.digest()));
      assertEquals(2, cache.objectCount());

      // Repair: fetch again what the report says, then the closure can be complete again.
      cache.commit(List.of(restage(cache, staged.get(0)), restage(cache, staged.get(1))));
      cache.markComplete(closure.digest());
      assertTrue(cache.fsck().clean());
    }
  }

  /** The same bytes again: regenerate them from the seeded stream used to stage them. */
  private static Staged restage(NodeCache cache, Staged s) throws IOException {
    Random random = new Random(2);
    for (int i = 0; i < 4; i++) {
      byte[] bytes = CacheFixtures.randomBytes(random, 1000);
      if (Digest.of(bytes).equals(s.digest())) {
        return CacheFixtures.stage(cache.layout(), bytes);
      }
    }
    throw new AssertionError("cannot regenerate " + s.digest());
  }

  private static void flipByte(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, 500);
      one.flip();
      byte b = one.get(0);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (b ^ 0x01)}), 500);
    }
  }
}
