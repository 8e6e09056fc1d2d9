package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.master.MasterOptions;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.Signer;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * D4: a manifest at the documented limit (200,000 paths, under 32 MiB) is pulled by the packaged
 * {@code cache-client} through {@code deploy/bin/cache-client}, with the launcher's heap limit
 * ({@code -Xmx160m}). The objects are tiny and shared, so the manifest is what is measured. The
 * heap (the largest before any GC, and the largest still live after a full GC) is printed.
 */
class LargeManifestPullIT {
  static final Path BIN = Path.of(System.getProperty("user.dir")).resolve("../deploy/bin").normalize();
  private static final Pattern GC = Pattern.compile("Pause (Young|Full).* ([0-9]+)M->([0-9]+)M\\(");

  @TempDir Path dir;
  Node node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void pull_ofAManifestWith200000Paths_succeedsWithinTheLaunchersHeap() throws Exception {
    node = new Node(dir);
    CacheServer master = node.master("master");
    Digest manifest = publishLarge(master, Manifest.MAX_ENTRIES, 1000);
    Path cache = dir.resolve("cache");
    Path gcLog = dir.resolve("gc.log");

    ProcessBuilder pb = new ProcessBuilder(BIN.resolve("cache-client").toString(), "pull", "--json",
        "--master", master.baseUrl(), "--cache", cache.toString(), "--trust", node.pub.toString(),
        manifest.toString());
    pb.environment().put("CLOSURE_CACHE_CDS", "0");
    pb.environment().put("CLOSURE_CACHE_JAVA_OPTS", "-Xlog:gc:file=" + gcLog);
    pb.redirectErrorStream(true);
    long start = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "pull hung");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    long[] heap = heapMiB(gcLog);
    System.out.printf("200000-path pull: exit %d, %d ms, heap at most %d MiB before a GC, at most %d MiB live after a full GC"
        + " (-Xmx160m)%n", p.exitValue(), millis, heap[0], heap[1]);

    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("\"objects\":1000"), out);
    try (NodeCache c = NodeCache.openReadOnly(cache)) {
      assertTrue(c.isComplete(manifest));
    }
  }

  /** Signs and uploads a manifest of {@code paths} files over {@code objects} distinct tiny objects. */
  private Digest publishLarge(CacheServer master, int paths, int objects) throws Exception {
    List<Digest> digests = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    Path objectDir = Files.createDirectories(dir.resolve("objects"));
    try (MasterClient client = MasterClient.create(MasterOptions.of(
        List.of(java.net.URI.create(master.baseUrl())), Optional.of(Node.TOKEN)))) {
      for (int i = 0; i < objects; i++) {
        byte[] bytes = ("object " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        Digest d = Digest.of(bytes);
        Path f = objectDir.resolve(d.hex());
        Files.write(f, bytes);
        client.putObject(d, f);
        digests.add(d);
        sizes.add((long) bytes.length);
      }
      SortedMap<String, FileEntry> files = new TreeMap<>();
      String entry = "/opt/big/bin/big";
      files.put(entry, FileEntry.of(digests.get(0), sizes.get(0), 0755, 1_700_000_000L, Reason.ENTRY));
      for (int i = 1; i < paths; i++) {
        int o = i % objects;
        files.put(String.format("/b/%03d/%06d", i % 1000, i),
            FileEntry.of(digests.get(o), sizes.get(o), 0644, 1_700_000_000L + i, Reason.INCLUDED));
      }
      Manifest m = new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint(entry, digests.get(0)),
          Optional.empty(), List.of(), files, new TreeMap<>(), new Launch(List.of(entry), new TreeMap<>(Map.of()), "/"));
      byte[] canonical = ManifestCodec.toCanonicalBytes(m);
      assertTrue(canonical.length <= ManifestCodec.MAX_BYTES, canonical.length + " bytes");
      System.out.printf("large manifest: %d paths, %d bytes%n", paths, canonical.length);
      SignedManifest signed = SignedManifest.sign(m, Signer.load(node.key));
      client.putManifest(signed.manifestDigest(), signed.toBytes());
      return signed.manifestDigest();
    }
  }

  /** The largest heap before any GC and the largest left after a full one, in MiB, from {@code -Xlog:gc}. */
  private static long[] heapMiB(Path gcLog) throws Exception {
    long[] peak = {-1, -1};
    if (!Files.exists(gcLog)) {
      return peak;
    }
    for (String line : Files.readAllLines(gcLog)) {
      Matcher m = GC.matcher(line);
      if (m.find()) {
        peak[0] = Math.max(peak[0], Long.parseLong(m.group(2)));
        if (m.group(1).equals("Full")) {
          peak[1] = Math.max(peak[1], Long.parseLong(m.group(3)));
        }
      }
    }
    return peak;
  }
}
