package org.closurecache.client.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cache.Waiter;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.master.MasterOptions;
import org.closurecache.client.progress.Progress;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.manifest.Ref;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.Signer;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull against a real master gives each fetched object file the mode and mtime of the
 * manifest's first file (in path order) with that content, as views that hard-link it need.
 */
class PullerPresentationTest {
  private static final String TOKEN = "write-token-0123456789abcdef";
  private static final byte[] TOOL = "#!/bin/sh\necho tool\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] MODULE = "print('module')\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  CacheServer server;
  MasterClient master;
  TrustedKeys trust;
  Signer signer;

  @BeforeEach
  void start() throws Exception {
    Ed25519KeyPair publisher = Ed25519KeyPair.generate();
    signer = Signer.of(publisher);
    Path pub = dir.resolve("publisher.pub");
    KeyFiles.writePublicKey(pub, publisher.publicKey(), false);
    Files.writeString(dir.resolve("tokens"), "write " + TOKEN + "\n");
    server = CacheServer.start(ServerConfig.defaults().with(new TreeMap<>(Map.of(
        "store", dir.resolve("store").toString(),
        "listen", "127.0.0.1:0",
        "tokens-file", dir.resolve("tokens").toString(),
        "publisher-keys", pub.toString(),
        "shutdown-grace", "1s")), dir));
    master = MasterClient.create(new MasterOptions(List.of(URI.create(server.baseUrl())), Optional.of(TOKEN),
        Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(1), 2));
    trust = TrustedKeys.load(List.of(pub));
  }

  @AfterEach
  void stop() {
    master.close();
    server.close();
  }

  /** Uploads the objects and the signed manifest; answers the manifest's digest. */
  Digest publish(SortedMap<String, FileEntry> files, String entry) throws Exception {
    for (byte[] content : List.of(TOOL, MODULE)) {
      Path f = Files.write(dir.resolve("upload"), content);
      master.putObject(Digest.of(content), f);
    }
    Manifest m = new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test",
        new EntryPoint(entry, files.get(entry).digest()), Optional.empty(), List.of(), files, new TreeMap<>(),
        new Launch(List.of(entry), new TreeMap<>(), "/"));
    SignedManifest signed = SignedManifest.sign(m, signer);
    master.putManifest(signed.manifestDigest(), signed.toBytes());
    return signed.manifestDigest();
  }

  static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  static long mtime(Path p) throws Exception {
    return Files.getLastModifiedTime(p).to(TimeUnit.SECONDS);
  }

  @Test
  void pull_givesEachObjectTheRecordedModeBitsAndMtime_writeBitsNever() throws Exception {
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put("/opt/t/bin/tool", FileEntry.of(Digest.of(TOOL), TOOL.length, 0755, 1_650_000_000L, Reason.ENTRY));
    files.put("/opt/t/lib/module.py", FileEntry.of(Digest.of(MODULE), MODULE.length, 0644, 1_650_000_001L,
        Reason.INCLUDED));
    Digest manifest = publish(files, "/opt/t/bin/tool");

    try (NodeCache cache = NodeCache.open(dir.resolve("cache"), Waiter.silent())) {
      Puller.Result r = new Puller(master, cache, trust, 2).pull(Ref.of(manifest), Progress.silent());
      assertEquals(2, r.fetched());
      Path tool = cache.layout().objectPath(Digest.of(TOOL));
      Path module = cache.layout().objectPath(Digest.of(MODULE));
      assertEquals("r-xr-xr-x", mode(tool), "0755 is presented as 0555");
      assertEquals(1_650_000_000L, mtime(tool));
      assertEquals("r--r--r--", mode(module), "0644 is presented as 0444");
      assertEquals(1_650_000_001L, mtime(module), "a .pyc check compares this with its own record");
      assertTrue(cache.isComplete(manifest));
    }
  }

  @Test
  void pull_ofContentAtSeveralPaths_presentsItAsTheFirstPathInOrder() throws Exception {
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put("/opt/t/bin/tool", FileEntry.of(Digest.of(TOOL), TOOL.length, 0755, 1_650_000_000L, Reason.ENTRY));
    // sorts before the entry: its attributes win for the shared content
    files.put("/opt/a/tool.copy", FileEntry.of(Digest.of(TOOL), TOOL.length, 0640, 1_600_000_000L, Reason.INCLUDED));
    files.put("/opt/t/lib/module.py", FileEntry.of(Digest.of(MODULE), MODULE.length, 0644, 1_650_000_001L,
        Reason.INCLUDED));
    Digest manifest = publish(files, "/opt/t/bin/tool");

    try (NodeCache cache = NodeCache.open(dir.resolve("cache"), Waiter.silent())) {
      new Puller(master, cache, trust, 2).pull(Ref.of(manifest), Progress.silent());
      Path tool = cache.layout().objectPath(Digest.of(TOOL));
      assertEquals("r--r--r--", mode(tool));
      assertEquals(1_600_000_000L, mtime(tool));
    }
  }
}
