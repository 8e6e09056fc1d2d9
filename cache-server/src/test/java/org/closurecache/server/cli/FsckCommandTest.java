package org.closurecache.server.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.Signer;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;
import org.closurecache.server.store.ObjectStore;
import org.closurecache.store.index.IndexCorruptException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * {@code cache-server fsck}: a master's index is derived from its object, manifest and tag files;
 * damage to it is found, repaired or rebuilt, and the master serves what it served before.
 */
class FsckCommandTest {
  private static final Signer PUBLISHER = Signer.of(Ed25519KeyPair.generate());

  @TempDir Path dir;
  Path root;
  Path config;
  Digest object;
  SignedManifest manifest;
  byte[] tag1;
  byte[] tag2;

  @BeforeEach
  void publish() throws Exception {
    root = dir.resolve("store");
    Path pub = dir.resolve("publisher.pub");
    KeyFiles.writePublicKey(pub, PUBLISHER.publicKey(), false);
    config = Files.writeString(dir.resolve("server.properties"),
        "store = " + root + "\npublisher-keys = " + pub + "\nlisten = 127.0.0.1:0\n");
    byte[] data = "the program".getBytes();
    object = Digest.of(data);
    manifest = SignedManifest.sign(manifestOf(object, data.length), PUBLISHER);
    TagRecord first = TagRecord.first("app", manifest.manifestDigest(), Instant.parse("2026-12-01T00:00:00Z"));
    tag1 = SignedTag.sign(first, PUBLISHER).toBytes();
    tag2 = SignedTag.sign(first.next(manifest.manifestDigest(), Instant.parse("2026-12-02T00:00:00Z")), PUBLISHER)
        .toBytes();
    try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
      store.put(object, new ByteArrayInputStream(data), data.length);
      store.putManifest(manifest.manifestDigest(), manifest.toBytes());
      store.putTag("app", 1, tag1);
      store.putTag("app", 2, tag2);
    }
  }

  private static Manifest manifestOf(Digest d, long size) {
    return manifestOf("/bin/x", d, size);
  }

  private static Manifest manifestOf(String path, Digest d, long size) {
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put(path, FileEntry.of(d, size, 0755, 1_700_000_000L, Reason.ENTRY));
    return new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint(path, d), Optional.empty(),
        List.of(), files, new TreeMap<>(), new Launch(List.of(path), new TreeMap<>(), "/"));
  }

  private ServeAndSettingsTest.Run fsck(String... options) {
    List<String> args = new ArrayList<>(List.of("fsck", "--config", config.toString()));
    args.addAll(List.of(options));
    return ServeAndSettingsTest.run(args.toArray(new String[0]));
  }

  /** A real server on the store serves the object, the manifest and the tag at revision 2. */
  private void assertServes() throws Exception {
    ServerConfig cfg = ServerConfig.defaults().with(Map.of("store", root.toString(), "listen", "127.0.0.1:0"), dir);
    try (CacheServer server = CacheServer.start(cfg)) {
      HttpClient http = HttpClient.newHttpClient();
      assertArrayEquals(manifest.toBytes(), get(http, server, "/v1/manifests/" + manifest.manifestDigest()));
      assertArrayEquals("the program".getBytes(), get(http, server, "/v1/objects/" + object));
      assertArrayEquals(tag2, get(http, server, "/v1/tags/app"));
      assertEquals(2, server.store().index().tagHistory("app").size());
    }
  }

  private static byte[] get(HttpClient http, CacheServer server, String path) throws Exception {
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), path);
    return r.body();
  }

  @Test
  void aHealthyStore_isClean_exit0() {
    ServeAndSettingsTest.Run r = fsck();
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("1 objects checked; 0 corrupt"), r.out());
    assertTrue(r.out().strip().endsWith("store is clean"), r.out());
  }

  @Test
  void withoutRepair_reportsEveryDisagreement_andChangesNothing_thenRepairFixesIt() throws Exception {
    Path objectFile = root.resolve("objects").resolve(object.shard()).resolve(object.hex());
    Files.setPosixFilePermissions(objectFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(objectFile, "flipped bytes");
    Path rev1 = Files.list(root.resolve("tags")).findFirst().orElseThrow().resolve(String.format("%020d", 1));
    Files.delete(rev1);

    ServeAndSettingsTest.Run check = fsck();
    assertEquals(1, check.status(), check.out());
    assertTrue(check.out().contains("1 corrupt"), check.out());
    assertTrue(check.out().contains("tag revisions: 1 disagreeing (would be fixed)"), check.out());
    assertTrue(check.out().contains("corrupt object " + object), check.out());
    assertEquals("flipped bytes", Files.readString(objectFile), "a check changes nothing");
    assertFalse(Files.exists(rev1));

    ServeAndSettingsTest.Run repair = fsck("--repair");
    assertEquals(1, repair.status(), "the manifest lacks its object now: " + repair.out());
    assertTrue(repair.out().contains("manifest " + manifest.manifestDigest() + " lacks 1 objects"), repair.out());
    assertFalse(Files.exists(objectFile));
    assertTrue(Files.exists(root.resolve("quarantine").resolve(object.shard()).resolve(object.hex())));
    assertArrayEquals(tag1, Files.readAllBytes(rev1), "the tag revision file is written back from the index");
  }

  @Test
  void currentGarbage_theServerSaysToRebuild_fsckRebuildIndexRestoresEverything() throws Exception {
    Files.writeString(root.resolve("index/CURRENT"), "garbage\n");
    IndexCorruptException e = assertThrows(IndexCorruptException.class, () -> ObjectStore.open(root, 1 << 20));
    assertTrue(e.getMessage().contains("cache-server fsck --rebuild-index --store " + root), e.getMessage());
    ServeAndSettingsTest.Run check = fsck();
    assertEquals(1, check.status());
    assertEquals(1, check.err().strip().lines().count(), check.err());

    ServeAndSettingsTest.Run rebuild = fsck("--rebuild-index");
    assertEquals(0, rebuild.status(), rebuild.out() + rebuild.err());
    assertTrue(rebuild.out().contains("old index moved to " + root.resolve("index.broken-")), rebuild.out());
    assertTrue(rebuild.out().contains("manifests: 1 lost by the index (restored)"), rebuild.out());
    assertServes();
  }

  @Test
  void sstDamaged_isReportedAsCorrupt_andTheRebuildRestoresEverything() throws Exception {
    flushToSstFiles(root.resolve("index"));
    try (Stream<Path> s = Files.list(root.resolve("index"))) {
      for (Path sst : s.filter(f -> f.toString().endsWith(".sst")).toList()) {
        byte[] junk = new byte[(int) Files.size(sst)];
        new Random(3).nextBytes(junk);
        Files.write(sst, junk);
      }
    }
    assertThrows(IndexCorruptException.class, () -> {
      try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
        store.index().tagHistory("app");
      }
    });
    assertEquals(0, fsck("--rebuild-index").status());
    assertServes();
  }

  @Test
  void walDamaged_orIndexDeleted_theFilesBringEverythingBack() throws Exception {
    Path wal;
    try (Stream<Path> s = Files.list(root.resolve("index"))) {
      wal = s.filter(f -> f.toString().endsWith(".log")).max((x, y) -> Long.compare(x.toFile().length(),
          y.toFile().length())).orElseThrow();
    }
    byte[] junk = new byte[200];
    new Random(4).nextBytes(junk);
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.seek(f.length() / 3);
      f.write(junk);
    }
    try {
      ObjectStore.open(root, 1 << 20).close(); // a server's open restores what the WAL lost
    } catch (IndexCorruptException refused) {
      assertEquals(0, fsck("--rebuild-index").status());
    }
    assertServes();

    org.closurecache.store.fs.FileTrees.delete(root.resolve("index"));
    assertServes();
    assertEquals(0, fsck().status(), "and the rebuilt index agrees with the files");
  }

  @Test
  void rebuild_quarantinesWhatNoPublisherKeySigned() throws Exception {
    Signer stranger = Signer.of(Ed25519KeyPair.generate());
    SignedManifest foreign = SignedManifest.sign(manifestOf("/bin/y", object, "the program".length()), stranger);
    Path file = root.resolve("manifests").resolve(foreign.manifestDigest().shard()).resolve(foreign.manifestDigest().hex());
    Files.createDirectories(file.getParent());
    Files.write(file, foreign.toBytes());

    ServeAndSettingsTest.Run rebuild = fsck("--rebuild-index");
    assertEquals(0, rebuild.status(), rebuild.out());
    assertTrue(rebuild.out().contains("rejected (quarantined) manifest " + foreign.manifestDigest()), rebuild.out());
    assertTrue(Files.exists(root.resolve("quarantine").resolve(root.relativize(file))));
    assertServes();
  }

  @Test
  void whileAServerHasTheStoreOpen_refusesAndMovesNothing() throws Exception {
    ServerConfig cfg = ServerConfig.defaults().with(Map.of("store", root.toString(), "listen", "127.0.0.1:0"), dir);
    try (CacheServer server = CacheServer.start(cfg)) {
      ServeAndSettingsTest.Run r = fsck("--rebuild-index");
      assertEquals(1, r.status());
      assertTrue(r.err().contains("a cache-server may already be running on this store"), r.err());
      assertTrue(Files.isDirectory(root.resolve("index")));
    }
  }

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
  }
}
