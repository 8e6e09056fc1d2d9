package org.closurecache.store.objects;

import static org.closurecache.store.objects.ObjectFixtures.digest;
import static org.closurecache.store.objects.ObjectFixtures.filesUnder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectReconcilerTest {
  private static final FileTime OLD = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));

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

  private ObjectReconciliation reconcile(boolean rehash) throws IOException {
    return ObjectReconciler.run(store.table, store.quarantine(), StoredAt.CHANGE_TIME, rehash);
  }

  @Test
  void strays_goToQuarantineWithTheirContent_andNothingIsDeleted() throws IOException {
    Path objects = store.layout.dir();
    Digest good = store.writeFile("a good object");
    String goodShard = good.shard();
    Files.write(objects.resolve("README"), bytes("not a shard"));
    Path shardAb = Files.createDirectories(objects.resolve("ab"));
    Files.write(shardAb.resolve("junk"), bytes("not hex"));
    String wrongShard = "cd" + good.hex().substring(2);
    Files.write(shardAb.resolve(wrongShard), bytes("hex of another shard"));
    Path outside = Files.write(dir.resolve("outside"), bytes("outside the store"));
    String linkHex = "ab" + good.hex().substring(2);
    Files.createSymbolicLink(shardAb.resolve(linkHex), outside);
    String dirHex = "ab" + digest("x").hex().substring(2);
    Files.createDirectories(shardAb.resolve(dirHex).resolve("inner"));
    Files.write(shardAb.resolve(dirHex).resolve("inner/file"), bytes("inside a directory"));
    Path notShard = Files.createDirectories(objects.resolve("xyz"));
    Files.write(notShard.resolve("f"), bytes("in a non-shard dir"));
    Files.createDirectories(objects.resolve("AB"));
    Path outsideDir = Files.createDirectories(dir.resolve("outside-dir"));
    Files.write(outsideDir.resolve("kept"), bytes("kept"));
    Files.createSymbolicLink(objects.resolve("ef"), outsideDir);

    ObjectReconciliation r = reconcile(false);

    assertEquals(8, r.quarantined(), r.toString());
    assertEquals(1, r.filesIndexed(), "the good object");
    Path q = store.quarantine();
    assertArrayEquals(bytes("not a shard"), Files.readAllBytes(q.resolve("README")));
    assertArrayEquals(bytes("not hex"), Files.readAllBytes(q.resolve("ab/junk")));
    assertArrayEquals(bytes("hex of another shard"), Files.readAllBytes(q.resolve("ab/" + wrongShard)));
    assertTrue(Files.isSymbolicLink(q.resolve("ab/" + linkHex)), "the link itself moved");
    assertArrayEquals(bytes("outside the store"), Files.readAllBytes(outside), "its target untouched");
    assertArrayEquals(bytes("inside a directory"), Files.readAllBytes(q.resolve("ab/" + dirHex + "/inner/file")));
    assertArrayEquals(bytes("in a non-shard dir"), Files.readAllBytes(q.resolve("xyz/f")));
    assertTrue(Files.isDirectory(q.resolve("AB"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isSymbolicLink(q.resolve("ef")));
    assertArrayEquals(bytes("kept"), Files.readAllBytes(outsideDir.resolve("kept")));
    assertEquals(0700, (Integer) Files.getAttribute(q, "unix:mode") & 0777);

    assertEquals(List.of(store.layout.path(good)), filesUnder(objects), "only the good object is left");
    assertTrue(store.table.has(good));
    assertEquals(1, store.table.count());
    assertTrue(reconcile(false).clean());
  }

  @Test
  void aSecondStrayOfTheSameName_getsASuffix_neverOverwritingTheFirst() throws IOException {
    Path shard = Files.createDirectories(store.layout.dir().resolve("ab"));
    Files.write(shard.resolve("junk"), bytes("first"));
    assertEquals(1, reconcile(false).quarantined());
    Files.write(shard.resolve("junk"), bytes("second"));
    assertEquals(1, reconcile(false).quarantined());
    Files.write(shard.resolve("junk"), bytes("third"));
    assertEquals(1, reconcile(true).quarantined());

    assertArrayEquals(bytes("first"), Files.readAllBytes(store.quarantine().resolve("ab/junk")));
    assertArrayEquals(bytes("second"), Files.readAllBytes(store.quarantine().resolve("ab/junk.1")));
    assertArrayEquals(bytes("third"), Files.readAllBytes(store.quarantine().resolve("ab/junk.2")));
  }

  @Test
  void aStrayInAShard_whoseNameWasTakenInQuarantineByAStrayFile_isStillQuarantined() throws IOException {
    Path objects = store.layout.dir();
    Files.write(objects.resolve("ab"), bytes("a file where the shard directory should be"));
    assertEquals(1, reconcile(false).quarantined()); // quarantine/ab is now that file
    Path shard = Files.createDirectories(objects.resolve("ab"));
    Files.write(shard.resolve("junk"), bytes("a stray in the real shard"));

    ObjectReconciliation r = reconcile(false);

    assertEquals(1, r.quarantined());
    assertArrayEquals(bytes("a file where the shard directory should be"),
        Files.readAllBytes(store.quarantine().resolve("ab")));
    assertArrayEquals(bytes("a stray in the real shard"), Files.readAllBytes(store.quarantine().resolve("ab.1/junk")));
    assertTrue(reconcile(false).clean());
  }

  @Test
  void unindexedFiles_areIndexedWithTheirSize_andTheChangeTime_notAnOldModificationTime() throws IOException {
    long before = System.currentTimeMillis();
    Digest d = store.writeFile("unindexed: written, renamed, then the index entry was lost");
    Files.setLastModifiedTime(store.layout.path(d), OLD); // as a node presents a recorded mtime

    ObjectReconciliation r = reconcile(false);

    long after = System.currentTimeMillis();
    assertEquals(1, r.filesIndexed());
    ObjectEntry e = store.table.get(d).orElseThrow();
    assertEquals(Files.size(store.layout.path(d)), e.size());
    // ctime has a coarser clock than currentTimeMillis on some kernels: allow a tick either way
    assertTrue(e.storedAtMillis() >= before - 1000 && e.storedAtMillis() <= after + 1000,
        "stored at " + e.storedAtMillis() + ", expected the change time in [" + before + ", " + after + "]");
    assertEquals(1, store.table.count());
    assertEquals(e.size(), store.table.bytes());
  }

  @Test
  void unindexedFiles_withModificationTime_takeTheFilesMtime() throws IOException {
    Digest d = store.writeFile("indexed with its mtime");
    Files.setLastModifiedTime(store.layout.path(d), OLD);

    ObjectReconciliation r = ObjectReconciler.run(store.table, store.quarantine(), StoredAt.MODIFICATION_TIME, false);

    assertEquals(1, r.filesIndexed());
    assertEquals(OLD.toMillis(), store.table.get(d).orElseThrow().storedAtMillis());
  }

  @Test
  void entriesWithoutFiles_areDroppedAndReported_andWrongSizesCorrected() throws IOException {
    Digest gone = digest("an entry whose file is gone");
    Digest kept = store.writeFile("ten bytes!");
    store.table.put(Map.of(gone, new ObjectEntry(27, 5), kept, new ObjectEntry(999, 7)));

    ObjectReconciliation r = reconcile(false);

    assertEquals(List.of(gone), r.missingFiles());
    assertEquals(1, r.sizesFixed());
    assertEquals(0, r.filesIndexed());
    assertEquals(new ObjectEntry(10, 7), store.table.get(kept).orElseThrow(), "size from the file, time kept");
    assertFalse(store.table.get(gone).isPresent());
    assertEquals(1, store.table.count());
    assertEquals(10, store.table.bytes());
    assertTrue(reconcile(false).clean());
  }

  @Test
  void rehash_quarantinesUnindexesAndReportsAFlippedObject_withoutRehashItIsTrusted() throws IOException {
    Digest flipped = store.writeFile(new byte[2000]);
    Digest intact = store.writeFile("intact");
    store.table.put(Map.of(flipped, new ObjectEntry(2000, 1), intact, new ObjectEntry(6, 1)));
    flipByte(store.layout.path(flipped), 1000);

    ObjectReconciliation trusted = reconcile(false);
    assertTrue(trusted.clean(), "without rehash the name is trusted and the bytes not read: " + trusted);
    assertEquals(0, trusted.objectsChecked());
    assertTrue(store.table.has(flipped));

    ObjectReconciliation r = reconcile(true);

    assertEquals(List.of(flipped), r.corrupt());
    assertEquals(2, r.objectsChecked());
    assertEquals(1, r.quarantined());
    assertFalse(store.table.get(flipped).isPresent());
    assertFalse(Files.exists(store.layout.path(flipped)));
    Path q = store.quarantine().resolve(flipped.shard()).resolve(flipped.hex());
    assertEquals(2000, Files.size(q), "quarantined, not deleted");
    assertEquals(1, store.table.count());
    assertEquals(6, store.table.bytes());
    assertTrue(store.table.has(intact));
    ObjectReconciliation second = reconcile(true);
    assertTrue(second.clean(), second.toString());
    assertEquals(1, second.objectsChecked());
  }

  @Test
  void reconcile_ofAnEmptyStore_isClean() throws IOException {
    assertTrue(reconcile(true).clean());
    Files.delete(store.layout.dir());
    assertTrue(reconcile(false).clean(), "no objects/ directory at all is an empty store");
  }

  @Test
  void reconcile_whenObjectsIsASymlink_refusesAndKeepsEveryEntry() throws IOException {
    store.close();
    Path real = Files.createDirectories(dir.resolve("elsewhere/objects"));
    Path root = Files.createDirectories(dir.resolve("linked"));
    Files.createSymbolicLink(root.resolve("objects"), real);
    store = ObjectFixtures.open(root);
    Digest d = store.writeFile("an object behind a linked objects/");
    store.table.put(Map.of(d, new ObjectEntry(35, 1)));

    IOException e = assertThrows(IOException.class, () -> reconcile(false));

    assertTrue(e.getMessage().contains(store.layout.dir().toString()) && e.getMessage().contains("symbolic link"),
        e.getMessage());
    assertTrue(store.table.has(d), "the entry is kept: the file is there");
    assertEquals(1, store.table.count());
  }

  @Test
  void reconcile_ofManyFiles_indexesThemAllInBatches() throws IOException {
    for (int i = 0; i < 2500; i++) { // plain writes: durability is not what this is about
      Digest d = digest("object " + i);
      Files.createDirectories(store.layout.shardDir(d));
      Files.write(store.layout.path(d), bytes("object " + i));
    }
    ObjectReconciliation r = reconcile(false);
    assertEquals(2500, r.filesIndexed());
    assertEquals(2500, store.table.count());
    long bytes = 0;
    for (Path p : filesUnder(store.layout.dir())) {
      bytes += Files.size(p);
    }
    assertEquals(bytes, store.table.bytes());
    assertTrue(reconcile(false).clean());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void flipByte(Path file, long at) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, at);
      ch.write(ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x01)}), at);
    }
  }
}
