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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capture through the real launch script (and the bare jar): what the caller gives is what is recorded. */
class CaptureScriptsIT {
  static final Path BIN = Path.of(System.getProperty("user.dir")).resolve("../deploy/bin").normalize();
  static final Path JAR = BIN.resolve("../../cache-client/target/cache-client.jar").normalize();
  /** What a scheduler passes, with a value a line-based hand-over would break. */
  static final Map<String, String> CLEAN = Map.of("PATH", "/usr/bin:/bin", "HOME", "/x",
      "JOB_NOTE", "two\nlines = and an equals sign");

  @TempDir Path dir;

  record Run(int status, String out, String err) {}

  /** Runs {@code command} with exactly {@code env}, stdin from {@code stdin} (or /dev/null). */
  static Run run(Map<String, String> env, Path stdin, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.redirectInput(stdin != null ? stdin.toFile() : new java.io.File("/dev/null"));
    Path err = Files.createTempFile("capture-", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " hung");
    String stderr = Files.readString(err);
    Files.delete(err);
    return new Run(p.exitValue(), out, stderr);
  }

  static List<String> script(String... args) {
    List<String> cmd = new ArrayList<>(List.of(BIN.resolve("cache-client").toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static Manifest manifest(Run r) throws Exception {
    assertEquals(0, r.status(), r.err());
    return ManifestCodec.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void closure_throughTheScriptFromACleanEnvironment_recordsExactlyTheCallersVariables() throws Exception {
    Manifest m = manifest(run(CLEAN, null, script("closure", "--json", "--", "/bin/true")));
    assertEquals(CLEAN, m.launch().env(), "no PWD, SHLVL or _ from the script's bash");
  }

  @Test
  void publish_throughTheScriptFromACleanEnvironment_publishesTheManifestClosureShows() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("publisher"), false);
    Path tokens = Files.writeString(dir.resolve("tokens"), "write capture-scripts-it-token-0123456789\n");
    Path tokenFile = Files.writeString(dir.resolve("token"), "capture-scripts-it-token-0123456789\n");
    Map<String, String> settings = new TreeMap<>(Map.of("store", dir.resolve("store").toString(),
        "listen", "127.0.0.1:0", "tokens-file", tokens.toString(),
        "publisher-keys", dir.resolve("publisher.pub").toString(), "shutdown-grace", "1s"));
    try (CacheServer master = CacheServer.start(ServerConfig.defaults().with(settings, dir))) {
      Run published = run(CLEAN, null, script("publish", "--quiet", "--master", master.baseUrl(), "--key",
          dir.resolve("publisher.key").toString(), "--token-file", tokenFile.toString(), "--", "/bin/true"));
      assertEquals(0, published.status(), published.err());
      Manifest shown = manifest(run(CLEAN, null, script("closure", "--json", "--", "/bin/true")));
      assertEquals(CLEAN, shown.launch().env());
      List<String> lines = published.out().lines().toList();
      assertEquals(ManifestCodec.digest(shown).toString(), lines.get(lines.size() - 1),
          "publish recorded the same launch, the caller's environment and nothing more");
    }
  }

  @Test
  void closure_throughTheScriptFromAnEmptyEnvironment_recordsNone() throws Exception {
    // no PATH: the script finds java through JAVA_HOME, which is then the caller's only variable
    String javaHome = Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent().getParent()
        .toString();
    Manifest m = manifest(run(Map.of("JAVA_HOME", javaHome), null, script("closure", "--json", "--", "/bin/true")));
    assertEquals(Map.of("JAVA_HOME", javaHome), m.launch().env());
  }

  @Test
  void closure_fromTheJarStartedDirectly_recordsTheJvmsOwnEnvironment() throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    Manifest m = manifest(run(CLEAN, null, List.of(java, "-jar", JAR.toString(), "closure", "--json", "--",
        "/bin/true")));
    assertEquals(CLEAN, m.launch().env());
  }

  @Test
  void closureTrace_throughTheScript_runsAPythonScriptGivenOnStdin() throws Exception {
    Path job = Files.writeString(dir.resolve("job.py"), "import json, sqlite3\nprint(json.dumps(sqlite3.sqlite_version))\n");
    Run r = run(CLEAN, job, script("closure", "--trace", "--json", "--", "/usr/bin/python3", "-"));
    Manifest m = manifest(r);
    assertEquals(List.of("/usr/bin/python3", "-"), m.launch().argv());
    assertEquals(Reason.TRACED, m.files().get("/usr/lib/python3.11/json/__init__.py").reason(), r.err());
    assertTrue(m.files().keySet().stream().anyMatch(p -> p.startsWith("/usr/lib/python3.11/lib-dynload/_sqlite3.")),
        m.files().keySet()::toString);
    assertTrue(r.err().contains("\"3."), "the script ran and printed sqlite's version: " + r.err());
  }
}
