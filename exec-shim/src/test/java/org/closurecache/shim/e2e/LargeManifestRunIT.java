package org.closurecache.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
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
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.master.MasterOptions;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.Signer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * D4: a manifest at the documented limit ({@link Manifest#MAX_ENTRIES} paths, under 32 MiB) is
 * prepared and run through {@code deploy/bin/exec-shim} with the launcher's heap limit ({@code
 * -Xmx160m}): a real program's closure ({@code /bin/echo}) plus tiny data files that share 1,000
 * objects, each with its own mtime, so every one of them needs a variant of its object. The JVM is
 * told to exit on an OutOfMemoryError; times and heap figures are printed, not asserted.
 */
class LargeManifestRunIT {
  private static final Pattern GC = Pattern.compile("Pause (Young|Full).* ([0-9]+)M->([0-9]+)M\\(");

  @TempDir Path dir;
  Site site;

  @AfterEach
  void stop() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void prepareAndRun_ofAManifestWith200000Paths_succeedWithinTheLaunchersHeap() throws Exception {
    site = Site.start(dir.resolve("site"));
    Digest echo = site.publish(dir, Site.PUBLISH_ENV, new Site.Capture(false, List.of(), List.of()),
        "/bin/echo", "large closure ran");
    Digest large = publishLarge(echo, 1000);
    Path cache = dir.resolve("cache");
    Path gcLog = dir.resolve("gc.log");
    Map<String, String> env = Site.node(Map.of("CLOSURE_CACHE_CDS", "0",
        "CLOSURE_CACHE_JAVA_OPTS", "-XX:+ExitOnOutOfMemoryError -Xlog:gc:file=" + gcLog));

    long start = System.nanoTime();
    Site.Run prepared = Site.run(List.of(Site.BIN.resolve("exec-shim").toString(), "prepare", "--master", site.url(),
        "--cache", cache.toString(), "--trust", site.pub.toString(), large.toString()), env, null);
    long prepareMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    long[] heap = heapMiB(gcLog);
    System.out.printf("200000-path prepare (pull, view, check): exit %d, %d ms, heap at most %d MiB before a GC,"
        + " at most %d MiB live after a full GC (-Xmx160m)%n", prepared.status(), prepareMillis, heap[0], heap[1]);
    Site.assertOk(prepared);
    assertEquals(Site.viewDir(cache, large).toString(), prepared.out().strip());

    Files.deleteIfExists(gcLog);
    start = System.nanoTime();
    Site.Run ran = Site.run(site.shimCommand(cache, List.of(), large), env, null);
    long runMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    heap = heapMiB(gcLog);
    System.out.printf("200000-path warm run (check, launch): exit %d, %d ms, heap at most %d MiB before a GC,"
        + " at most %d MiB live after a full GC%n", ran.status(), runMillis, heap[0], heap[1]);
    Site.assertOk(ran);
    assertEquals("large closure ran\n", ran.out());
  }

  /** {@code base}'s manifest with tiny data files added up to the limit, over {@code objects} objects. */
  private Digest publishLarge(Digest base, int objects) throws Exception {
    Path objectDir = Files.createDirectories(dir.resolve("objects"));
    try (MasterClient client = MasterClient.create(MasterOptions.of(
        List.of(URI.create(site.url())), Optional.of(Site.TOKEN)))) {
      Manifest m = SignedManifest.storedManifest(client.getManifest(base).orElseThrow());
      List<Digest> digests = new ArrayList<>();
      List<Long> sizes = new ArrayList<>();
      for (int i = 0; i < objects; i++) {
        byte[] bytes = ("object " + i + "\n").getBytes(StandardCharsets.US_ASCII);
        Digest d = Digest.of(bytes);
        Path f = objectDir.resolve(d.hex());
        Files.write(f, bytes);
        client.putObject(d, f);
        digests.add(d);
        sizes.add((long) bytes.length);
      }
      SortedMap<String, FileEntry> files = new TreeMap<>(m.files());
      int extra = Manifest.MAX_ENTRIES - m.files().size() - m.symlinks().size() - m.directories().size();
      for (int i = 0; i < extra; i++) {
        int o = i % objects;
        files.put(String.format("/b/%03d/%06d", i % 1000, i),
            FileEntry.of(digests.get(o), sizes.get(o), 0644, 1_700_000_000L + i, Reason.INCLUDED));
      }
      Manifest big = new Manifest(m.schema(), m.platform(), m.resolver(), m.entry(), m.interpreter(), m.libraries(),
          files, m.symlinks(), m.directories(), m.launch());
      byte[] canonical = ManifestCodec.toCanonicalBytes(big);
      assertTrue(canonical.length <= ManifestCodec.MAX_BYTES, canonical.length + " bytes");
      System.out.printf("large manifest: %d paths, %d bytes%n", Manifest.MAX_ENTRIES, canonical.length);
      SignedManifest signed = SignedManifest.sign(big, Signer.load(site.key));
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
