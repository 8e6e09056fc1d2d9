package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.closurecache.client.cache.CacheFixtures.Closure;
import org.closurecache.store.index.IndexCorruptException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * The index is derived from the files: damage to it (its WAL, CURRENT, an SST, the whole
 * directory) is detected, and the closures, pins and tag revisions come back from the files.
 */
class NodeCacheIndexRebuildTest {
  @TempDir Path dir;

  /** Two complete closures, the first pinned and tagged {@code app} at revision 3. */
  private record Populated(Closure pinned, Closure other) {}

  private Populated populate() throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), new Random(7), 6, 3000);
      Closure a = CacheFixtures.closure("a", staged.subList(0, 3));
      Closure b = CacheFixtures.closure("b", staged.subList(3, 6));
      cache.putManifest(a.digest(), a.envelope());
      cache.putManifest(b.digest(), b.envelope());
      cache.commit(staged);
      cache.markComplete(a.digest());
      cache.markComplete(b.digest());
      cache.pin(a.digest());
      cache.recordTag("app", 3, a.digest(), CacheFixtures.tag("app", 3, a.digest()));
      return new Populated(a, b);
    }
  }

  private void assertRestored(Populated p) throws IOException {
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      List<ClosureInfo> list = cache.list();
      assertEquals(List.of(p.pinned().digest(), p.other().digest()).stream().sorted().toList(),
          list.stream().map(ClosureInfo::manifest).toList(), list.toString());
      assertTrue(list.stream().allMatch(ClosureInfo::complete), list.toString());
      assertTrue(cache.isPinned(p.pinned().digest()));
      assertFalse(cache.isPinned(p.other().digest()));
      assertEquals(3, cache.tagRevision("app"));
      assertEquals(p.pinned().digest(), cache.tagTarget("app").orElseThrow());
      assertArrayEquals(p.pinned().envelope(), cache.manifest(p.pinned().digest()).orElseThrow());
      // The revision is still a floor: a replayed older tag is refused.
      assertThrows(TagRollbackRefusedException.class, () -> cache.recordTag("app", 2, p.other().digest()));
      assertTrue(cache.fsck().clean(), "after the repair the index agrees with the files");
    }
  }

  @Test
  void walDamaged_theClosuresPinsAndTagsComeBackFromTheFiles() throws IOException {
    Populated p = populate();
    Path wal;
    try (Stream<Path> s = Files.list(dir.resolve("index"))) {
      wal = s.filter(f -> f.toString().endsWith(".log")).max((x, y) -> Long.compare(x.toFile().length(),
          y.toFile().length())).orElseThrow();
    }
    long length = Files.size(wal);
    assertTrue(length > 400, "the closure records are in the WAL: " + length + " bytes");
    overwrite(wal, length / 3, 200, 1);

    // RocksDB either cuts the log at the damage (point-in-time recovery: the records after it,
    // and the clean-close marker, are gone) or refuses to open; both must end with everything back.
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      cache.list(); // the first writer after the damage has restored the records
    } catch (IndexCorruptException e) {
      assertTrue(e.getMessage().contains("fsck --rebuild-index"), e.getMessage());
      NodeCache.rebuildIndex(dir, Waiter.silent(), Duration.ofSeconds(10), CacheFixtures.trust());
    }
    assertRestored(p);
  }

  @Test
  void currentGarbage_openSaysToRebuild_andTheRebuildRestoresEverything() throws IOException {
    Populated p = populate();
    Files.writeString(dir.resolve("index/CURRENT"), "garbage-not-a-manifest\n");

    IndexCorruptException e = assertThrows(IndexCorruptException.class, () -> NodeCache.open(dir, Waiter.silent()));
    assertTrue(e.getMessage().contains("cache-client fsck --rebuild-index --cache " + dir), e.getMessage());

    RebuildReport r = NodeCache.rebuildIndex(dir, Waiter.silent(), Duration.ofSeconds(10), CacheFixtures.trust());
    assertEquals(6, r.objects());
    assertEquals(2, r.manifests());
    assertEquals(2, r.complete());
    assertEquals(1, r.pins());
    assertEquals(1, r.tags());
    assertEquals(List.of(), r.rejected());
    assertTrue(Files.isDirectory(r.oldIndex().orElseThrow()), "the old index is kept aside, not deleted");
    assertTrue(r.oldIndex().get().getFileName().toString().startsWith("index.broken-"), r.toString());
    assertRestored(p);
  }

  @Test
  void sstDamaged_isReportedAsCorrupt_andTheRebuildRestoresEverything() throws Exception {
    Populated p = populate();
    flushToSstFiles(dir.resolve("index"));
    List<Path> ssts;
    try (Stream<Path> s = Files.list(dir.resolve("index"))) {
      ssts = s.filter(f -> f.toString().endsWith(".sst")).toList();
    }
    assertFalse(ssts.isEmpty());
    for (Path sst : ssts) {
      overwrite(sst, 0, (int) Files.size(sst), 2);
    }

    assertThrows(IndexCorruptException.class, () -> {
      try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
        cache.list();
        cache.tagRevision("app");
      }
    });
    NodeCache.rebuildIndex(dir, Waiter.silent(), Duration.ofSeconds(10), CacheFixtures.trust());
    assertRestored(p);
  }

  @Test
  void indexDeleted_theNextWriterRebuildsItFromTheFiles() throws IOException {
    Populated p = populate();
    org.closurecache.store.fs.FileTrees.delete(dir.resolve("index"));
    assertRestored(p);
  }

  @Test
  void fsck_detectsEveryKindOfDisagreement_andMakesTheIndexAgreeWithTheFiles() throws IOException {
    Populated p = populate();
    Closure third;
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      // A manifest file the index never heard of, whose objects are all here.
      List<Staged> staged = CacheFixtures.stageRandom(cache.layout(), new Random(8), 2, 500);
      cache.commit(staged);
      third = CacheFixtures.closure("c", staged);
      Path file = cache.layout().manifestPath(third.digest());
      Files.createDirectories(file.getParent());
      Files.write(file, third.envelope());
      // A pin removed behind the index's back, a tag file ahead of it, a damaged manifest file.
      Files.delete(cache.layout().pinPath(p.pinned().digest()));
      new RecordFiles(cache.layout()).writeTag("app", new CacheCodec.TagEntry(5, p.other().digest(),
          CacheFixtures.tag("app", 5, p.other().digest())));
      Path damaged = cache.layout().manifestPath(p.other().digest());
      Files.setPosixFilePermissions(damaged, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      Files.writeString(damaged, "{not json");

      FsckReport r = cache.fsck();

      assertFalse(r.clean(), r.toString());
      IndexRepairs x = r.records();
      assertEquals(1, x.manifestsRestored(), x.toString());
      assertEquals(List.of(p.other().digest()), x.damagedManifestFiles());
      assertEquals(1, x.pinsFixed());
      assertEquals(1, x.tagsFixed());
      assertTrue(cache.isComplete(third.digest()));
      assertFalse(cache.isPinned(p.pinned().digest()));
      assertEquals(5, cache.tagRevision("app"));
      assertArrayEquals(p.other().envelope(), Files.readAllBytes(damaged), "rewritten from the index's sound copy");
      assertTrue(Files.exists(dir.resolve("quarantine/manifests").resolve(p.other().digest().shard())
          .resolve(p.other().digest().hex())), "the damaged file is kept in quarantine");
      assertTrue(cache.fsck().clean(), "a second run finds nothing");
    }
  }

  @Test
  void rebuild_quarantinesAManifestOrTagNoTrustedKeySigned() throws IOException {
    Populated p = populate();
    Closure foreign;
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      foreign = CacheFixtures.closure("foreign", CacheFixtures.stageRandom(cache.layout(), new Random(9), 1, 10));
    }
    Path file = CacheLayout.at(dir).manifestPath(foreign.digest());
    Files.createDirectories(file.getParent());
    Files.write(file, foreign.envelope());

    // Trusting another key than the one that signed everything: nothing is trusted.
    RebuildReport r = NodeCache.rebuildIndex(dir, Waiter.silent(), Duration.ofSeconds(10),
        org.closurecache.core.sign.TrustedKeys.of(
            org.closurecache.core.sign.Ed25519KeyPair.generate().publicKey()));

    assertEquals(0, r.manifests(), r.toString());
    assertEquals(3 + 1, r.rejected().size(), r.rejected().toString()); // three manifests and the tag
    assertTrue(Files.exists(dir.resolve("quarantine/manifests").resolve(foreign.digest().shard())
        .resolve(foreign.digest().hex())));
    assertTrue(Files.exists(dir.resolve("quarantine").resolve(dir.relativize(CacheLayout.at(dir).tagPath("app")))));
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      assertEquals(List.of(), cache.list());
      assertFalse(cache.isPinned(p.pinned().digest()));
    }
  }

  @Test
  void aCacheFromBeforeTheFiles_isMigratedByItsNextWriter() throws IOException {
    Populated p = populate();
    for (String d : List.of("manifests", "pins", "tags")) {
      org.closurecache.store.fs.FileTrees.delete(dir.resolve(d));
    }
    Files.delete(dir.resolve("format"));
    try (NodeCache cache = NodeCache.open(dir, Waiter.silent())) {
      assertTrue(Files.isRegularFile(cache.layout().manifestPath(p.pinned().digest())));
      assertTrue(Files.isRegularFile(cache.layout().pinPath(p.pinned().digest())));
      assertTrue(Files.isRegularFile(cache.layout().tagPath("app")));
      assertEquals("2", Files.readString(cache.layout().formatFile()).strip());
    }
    // And from then on the files are enough.
    org.closurecache.store.fs.FileTrees.delete(dir.resolve("index"));
    assertRestored(p);
  }

  private static void overwrite(Path file, long offset, int count, long seed) throws IOException {
    byte[] junk = new byte[count];
    new Random(seed).nextBytes(junk);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      f.write(junk);
    }
  }

  /** Moves the index's contents from its WAL into SST files, as RocksDB does once memtables fill. */
  private static void flushToSstFiles(Path index) throws Exception {
    RocksDB.loadLibrary();
    List<byte[]> names;
    try (Options o = new Options()) {
      names = RocksDB.listColumnFamilies(o, index.toString());
    }
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    names.forEach(n -> descriptors.add(new ColumnFamilyDescriptor(n)));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions();
        RocksDB db = RocksDB.open(options, index.toString(), descriptors, handles);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, handles);
      handles.forEach(ColumnFamilyHandle::close);
    }
    assertTrue(new String(Files.readAllBytes(index.resolve("CURRENT")), StandardCharsets.US_ASCII).startsWith("MANIFEST-"));
  }
}
