package org.closurecache.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Map;
import org.closurecache.core.digest.Digest;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;
import org.closurecache.server.store.ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cache-server gc} from its command line. */
class GcCommandTest {
  @TempDir Path dir;

  static Digest put(ObjectStore store, String text) throws Exception {
    byte[] data = text.getBytes();
    Digest d = Digest.of(data);
    store.put(d, new ByteArrayInputStream(data), data.length);
    return d;
  }

  @Test
  void dryRunReportsWhatTheRealRunRemoves() throws Exception {
    Path root = dir.resolve("store");
    Digest a;
    Digest b;
    try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
      a = put(store, "aaaa");
      b = put(store, "bbbbbb");
    }
    String expected = "0 manifests reference 0 objects; 2 objects unreferenced, 0 of them within the grace period;"
        + " %s 2 objects, 10 bytes";
    ServeAndSettingsTest.Run kept = ServeAndSettingsTest.run("gc", "--store", root.toString());
    assertEquals(0, kept.status(), kept.err());
    assertTrue(kept.out().contains("2 objects unreferenced, 2 of them within the grace period; removed 0 objects"),
        kept.out());

    ServeAndSettingsTest.Run dry = ServeAndSettingsTest.run("gc", "--store", root.toString(), "--grace", "0s", "--dry-run");
    assertEquals(0, dry.status(), dry.err());
    assertEquals(String.format(expected, "would remove"), dry.out().strip());
    try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
      assertTrue(store.contains(a) && store.contains(b), "the dry run removed something");
    }

    ServeAndSettingsTest.Run real = ServeAndSettingsTest.run("gc", "--store", root.toString(), "--grace", "0s");
    assertEquals(0, real.status(), real.err());
    assertEquals(String.format(expected, "removed"), real.out().strip());
    try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
      assertEquals(0, store.index().objectCount());
    }
  }

  @Test
  void whileAServerHasTheStoreOpen_failsWithOneLineSayingSo() throws Exception {
    Path root = dir.resolve("store");
    ServerConfig cfg = ServerConfig.defaults().with(Map.of("store", root.toString(), "listen", "127.0.0.1:0"), dir);
    try (CacheServer server = CacheServer.start(cfg)) {
      ServeAndSettingsTest.Run r = ServeAndSettingsTest.run("gc", "--store", root.toString());
      assertEquals(1, r.status(), r.out() + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().startsWith("gc: "), r.err());
      assertTrue(r.err().contains("a cache-server may already be running on this store"), r.err());
      assertEquals("", r.out());
    }
  }

  @Test
  void badGrace_exitsOne() throws Exception {
    ServeAndSettingsTest.Run r = ServeAndSettingsTest.run("gc", "--store", dir.resolve("store").toString(),
        "--grace", "a while");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("not a duration: 'a while'"), r.err());
  }
}
