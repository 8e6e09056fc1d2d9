package org.closurecache.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.closurecache.core.cli.Cli;
import org.closurecache.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cache-server serve}'s command line and the precedence of its settings. */
class ServeAndSettingsTest {
  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Cli.run(new CacheServerMain(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void flagsOverrideTheFile_fileOverridesDefaults_flagPathsResolveAgainstTheWorkingDirectory() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("conf")).resolve("server.properties");
    Files.writeString(conf, "store = s\nlisten = 0.0.0.0:9000\nidle-timeout = 7s\n");
    ServerConfig fileOnly = Settings.load(conf, Map.of());
    assertEquals(dir.resolve("conf/s"), fileOnly.store());
    assertEquals(9000, fileOnly.port());
    ServerConfig both = Settings.load(conf, Map.of("listen", "127.0.0.1:9001", "store", "rel"));
    assertEquals(9001, both.port());
    assertEquals("127.0.0.1", both.host());
    assertEquals(Path.of("").toAbsolutePath().resolve("rel"), both.store());
    assertEquals(java.time.Duration.ofSeconds(7), both.idleTimeout());
    assertEquals(ServerConfig.defaults().maxObjectSize(), both.maxObjectSize());
  }

  @Test
  void serveHelp_exitsZeroWithUsage() {
    Run r = run("serve", "--help");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("Usage: cache-server serve"), r.out());
    assertTrue(r.out().contains("--tokens-file"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void serveWithABadConfig_exitsOneWithOneLineOnStderr() throws Exception {
    Path conf = dir.resolve("bad.properties");
    Files.writeString(conf, "store = " + dir.resolve("store") + "\ncolour = blue\n");
    Run unknown = run("serve", "--config", conf.toString());
    assertEquals(1, unknown.status());
    assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
    assertTrue(unknown.err().startsWith("serve: unknown setting 'colour'; known: "), unknown.err());

    Files.writeString(conf, "store = " + dir.resolve("store") + "\nmax-object-size = huge\n");
    Run badSize = run("serve", "--config", conf.toString());
    assertEquals(1, badSize.status());
    assertEquals("serve: max-object-size: not a size: 'huge' (examples: 4096, 512K, 64M, 4G)", badSize.err().strip());

    Run noFile = run("serve", "--config", dir.resolve("absent.properties").toString());
    assertEquals(1, noFile.status());
    assertEquals("serve: " + dir.resolve("absent.properties") + ": no such file or directory", noFile.err().strip());

    Run badListen = run("serve", "--store", dir.resolve("store").toString(), "--listen", "nowhere");
    assertEquals(1, badListen.status());
    assertEquals("serve: listen must be HOST:PORT, got 'nowhere'", badListen.err().strip());
  }

  @Test
  void serveWithAnUnknownFlag_isBadUsageExitTwo() {
    assertEquals(2, run("serve", "--colour", "blue").status());
  }
}
