package org.closurecache.shim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.junit.jupiter.api.Test;

/** The launch scripts in deploy/bin, run for real against the packaged jars. */
class LaunchScriptsIT {
  static final Path BIN = Path.of(System.getProperty("user.dir")).resolve("../deploy/bin").normalize();

  record Run(int status, String out, String err) {}

  static Run run(Map<String, String> env, String script, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(BIN.resolve(script).toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    Path err = Files.createTempFile("launch-", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), script + " hung");
    String stderr = Files.readString(err);
    Files.delete(err);
    return new Run(p.exitValue(), out, stderr);
  }

  @Test
  void everyScript_printsHelpAndVersion() throws Exception {
    for (String script : List.of("cache-client", "cache-server", "exec-shim")) {
      Run help = run(Map.of(), script, "--help");
      assertEquals(0, help.status(), help.err());
      assertTrue(help.out().startsWith("Usage: " + script), help.out());
      Run version = run(Map.of(), script, "--version");
      assertTrue(version.out().startsWith("closure-cache "), version.out());
    }
  }

  @Test
  void cacheClient_closureJson_runsFromTheScript() throws Exception {
    Run r = run(Map.of(), "cache-client", "closure", "--json", "--", "/bin/true");
    assertEquals(0, r.status(), r.err());
    Manifest m = ManifestCodec.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
    assertEquals("/bin/true", m.entry().path());
  }

  @Test
  void cacheClient_closureJsonTrace_keepsTheRecordedProgramsOutputOffStdout() throws Exception {
    Run r = run(Map.of(), "cache-client", "closure", "--json", "--trace", "--", "/bin/echo", "from-the-recording-run");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("from-the-recording-run"), r.err());
    Manifest m = ManifestCodec.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
    assertEquals("/bin/echo", m.entry().path());
  }

  @Test
  void classArchive_isMadeByAPull_andAGarbledOneIsIgnoredQuietly() throws Exception {
    Path cds = BIN.resolve("../../cache-client/target/cds").normalize();
    Files.createDirectories(cds);
    try (var old = Files.list(cds)) {
      for (Path p : old.toList()) {
        Files.delete(p);
      }
    }
    // a pull that fails (no master there) still loads most of what a pull needs: it trains
    Run pull = run(Map.of(), "cache-client", "pull", "--master", "http://127.0.0.1:9", "--cache",
        Files.createTempDirectory("cds-").toString(), "--trust", "/nonexistent.pub", "sha256:" + "0".repeat(64));
    assertEquals(1, pull.status(), pull.err());
    Path archive;
    try (var made = Files.list(cds)) {
      archive = made.filter(p -> p.toString().endsWith(".jsa")).findFirst().orElseThrow(
          () -> new AssertionError("no class archive in " + cds));
    }
    Run version = run(Map.of(), "cache-client", "--version");
    assertEquals("", version.err(), "mapping the archive is silent");
    assertTrue(version.out().startsWith("closure-cache "), version.out());

    Files.setPosixFilePermissions(archive, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.write(archive, new byte[4096]);  // damaged: the JVM must refuse it and say nothing
    Run damaged = run(Map.of(), "cache-client", "--version");
    assertEquals("", damaged.err());
    assertTrue(damaged.out().startsWith("closure-cache "), damaged.out());
    Files.delete(archive);
  }

  @Test
  void script_honoursJavaHome() throws Exception {
    Run r = run(Map.of("JAVA_HOME", "/nonexistent-jdk"), "cache-client", "--version");
    assertEquals(127, r.status());
    assertTrue(r.err().contains("JAVA_HOME"), r.err());
  }
}
