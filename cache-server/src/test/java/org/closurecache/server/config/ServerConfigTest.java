package org.closurecache.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings: defaults, the properties file, and errors that name what is wrong. */
class ServerConfigTest {
  @TempDir Path dir;

  @Test
  void defaults_areTheDocumentedOnes() {
    ServerConfig d = ServerConfig.defaults();
    assertEquals(Path.of("var/store"), d.store());
    assertEquals("127.0.0.1", d.host());
    assertEquals(7070, d.port());
    assertEquals(4L << 30, d.maxObjectSize());
    assertEquals(Optional.empty(), d.tokensFile());
    assertTrue(d.readsOpen());
    assertEquals(List.of(), d.publisherKeys());
    assertEquals(Optional.empty(), d.tlsCert());
    assertEquals(100_000, d.maxMissingBatch());
    assertEquals(Duration.ofSeconds(60), d.idleTimeout());
    assertEquals(Duration.ofSeconds(30), d.requestParseTimeout());
    assertEquals(16 << 10, d.maxHeaderSize());
    assertEquals(Duration.ofSeconds(30), d.shutdownGrace());
    assertTrue(d.ioThreads() >= 2 && d.workerThreads() >= 8);
  }

  @Test
  void file_relativePathsResolveAgainstItsDirectory_andEveryKeyApplies() throws Exception {
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Path file = etc.resolve("server.properties");
    Files.writeString(file, String.join("\n",
        "# a comment",
        "store = data/store",
        "listen = [::1]:8080",
        "max-object-size = 64M",
        "tokens-file = tokens",
        "reads-open = no",
        "publisher-keys = a.pub, /abs/b.pub",
        "tls-cert = tls/cert.pem",
        "tls-key = tls/key.pem",
        "max-missing-batch = 500",
        "idle-timeout = 90s",
        "request-parse-timeout = 250ms",
        "body-timeout = 20s",
        "upload-timeout = 3h",
        "upload-threads = 5",
        "max-header-size = 32K",
        "io-threads = 3",
        "worker-threads = 12",
        "shutdown-grace = 2m", ""));
    ServerConfig c = ServerConfig.defaults().with(ServerConfig.readFile(file), etc);
    assertEquals(etc.resolve("data/store"), c.store());
    assertEquals("::1", c.host());
    assertEquals(8080, c.port());
    assertEquals(64L << 20, c.maxObjectSize());
    assertEquals(Optional.of(etc.resolve("tokens")), c.tokensFile());
    assertFalse(c.readsOpen());
    assertEquals(List.of(etc.resolve("a.pub"), Path.of("/abs/b.pub")), c.publisherKeys());
    assertEquals(Optional.of(etc.resolve("tls/cert.pem")), c.tlsCert());
    assertEquals(Optional.of(etc.resolve("tls/key.pem")), c.tlsKey());
    assertEquals(500, c.maxMissingBatch());
    assertEquals(Duration.ofSeconds(90), c.idleTimeout());
    assertEquals(Duration.ofMillis(250), c.requestParseTimeout());
    assertEquals(Duration.ofSeconds(20), c.bodyTimeout());
    assertEquals(Duration.ofHours(3), c.uploadTimeout());
    assertEquals(5, c.uploadThreads());
    assertEquals(32 << 10, c.maxHeaderSize());
    assertEquals(3, c.ioThreads());
    assertEquals(12, c.workerThreads());
    assertEquals(Duration.ofMinutes(2), c.shutdownGrace());
    assertEquals(ServerConfig.KEYS.size(), ServerConfig.readFile(file).size(), "the test covers every key");
  }

  @Test
  void laterSettingsOverrideEarlierOnes() {
    ServerConfig file = ServerConfig.defaults().with(Map.of("listen", "0.0.0.0:1", "idle-timeout", "5s"), dir);
    ServerConfig flags = file.with(Map.of("listen", "127.0.0.1:2"), dir);
    assertEquals("127.0.0.1", flags.host());
    assertEquals(2, flags.port());
    assertEquals(Duration.ofSeconds(5), flags.idleTimeout(), "a setting the flags do not name stays");
  }

  private static String error(Map<String, String> settings) {
    return assertThrows(IllegalArgumentException.class,
        () -> ServerConfig.defaults().with(settings, Path.of("/"))).getMessage();
  }

  @Test
  void badSettings_haveErrorsThatNameTheSettingAndWhatIsExpected() {
    String unknown = error(Map.of("colour", "blue"));
    assertTrue(unknown.startsWith("unknown setting 'colour'; known: "), unknown);
    for (String key : ServerConfig.KEYS) {
      assertTrue(unknown.contains(key), unknown);
    }
    assertEquals("listen must be HOST:PORT, got 'localhost'", error(Map.of("listen", "localhost")));
    assertEquals("listen must be HOST:PORT, got 'localhost:http'", error(Map.of("listen", "localhost:http")));
    assertEquals("listen: port must be 0 to 65535, got 'localhost:70000'", error(Map.of("listen", "localhost:70000")));
    assertEquals("max-object-size: not a size: 'lots' (examples: 4096, 512K, 64M, 4G)",
        error(Map.of("max-object-size", "lots")));
    assertEquals("idle-timeout: not a duration: 'soon' (examples: 250ms, 30s, 5m, 2h, 7d)",
        error(Map.of("idle-timeout", "soon")));
    assertEquals("reads-open: expected true or false, got 'maybe'", error(Map.of("reads-open", "maybe")));
    assertEquals("worker-threads: not a whole number: 'many'", error(Map.of("worker-threads", "many")));
    assertEquals("max-header-size: size 4G is over 2 GiB", error(Map.of("max-header-size", "4G")));
    assertTrue(error(Map.of("io-threads", "0")).contains("thread counts must be positive"));
    assertTrue(error(Map.of("upload-threads", "0")).contains("thread counts must be positive"));
    assertEquals("body-timeout and upload-timeout must be positive", error(Map.of("body-timeout", "0s")));
    assertEquals("TLS needs both tls-cert and tls-key", error(Map.of("tls-cert", "cert.pem")));
    assertEquals("TLS needs both tls-cert and tls-key", error(Map.of("tls-key", "key.pem")));
  }
}
