package org.closurecache.shim.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that has nothing but busybox: a root holding only busybox-static (its applets as links),
 * /dev, /proc and an empty /tmp, entered with bubblewrap as root (capabilities kept, as on a real
 * node), network on loopback to a master this test started. The bootstrap fetches the node kit by
 * its pinned digest; then published python3 and git jobs run from the node's cache in namespace
 * mode (the kit's bwrap) and print what they print on this host. Hostile cases: a wrong digest, a
 * master serving a corrupted kit object, a dead master; each ends with one line and nothing run.
 *
 * <p>The numbers this prints (kit bytes, bootstrap seconds cold and incremental) are for the
 * record; the assertions are about behaviour.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DisklessNodeIT {
  static final Path REPO = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
  static final Path BIN = REPO.resolve("deploy/bin");
  static final Path BOOTSTRAP = REPO.resolve("deploy/node/bootstrap");
  static final String NODE = "/var/lib/closure-cache";
  static final String PYTHON_JOB = "import ssl, sqlite3, json, sys; print(sys.version.split()[0], ssl.OPENSSL_VERSION,"
      + " sqlite3.sqlite_version, json.dumps({'a': [1, 2]}))";
  static final Pattern FETCHED = Pattern.compile("fetched (\\d+) objects \\((\\d+) bytes\\), linked (\\d+) .* in ([0-9.]+) s");

  @TempDir static Path dir;
  static CacheServer master;
  static Path root;
  static Path tokenFile;
  static String kit;
  static String python;
  static String git;

  record Run(int status, String out, String err) {}

  @BeforeAll
  static void site() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "enters a root directory with bwrap as root");
    assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "needs busybox-static (.ci/test installs it)");
    KeyFiles.writeKeyPair(dir.resolve("publisher"), false);
    KeyFiles.writeKeyPair(dir.resolve("second"), false);
    Path tokens = Files.writeString(dir.resolve("tokens"), "write diskless-node-it-token-0123456789\n");
    tokenFile = Files.writeString(dir.resolve("token"), "diskless-node-it-token-0123456789\n");
    Map<String, String> settings = new TreeMap<>(Map.of("store", dir.resolve("store").toString(),
        "listen", "127.0.0.1:0", "tokens-file", tokens.toString(),
        "publisher-keys", dir.resolve("publisher.pub").toString(), "shutdown-grace", "1s"));
    master = CacheServer.start(ServerConfig.defaults().with(settings, dir));
    Run published = host(client("kit", "publish", "--master", master.baseUrl(), "--key",
        dir.resolve("publisher.key").toString(), "--token-file", tokenFile.toString()));
    assertEquals(0, published.status(), published.err());
    kit = lastLine(published.out());
    System.out.println("kit " + kit + ": " + published.err().lines().filter(l -> l.startsWith("kit:")).findFirst()
        .orElse("?"));
    python = publish("--trace", "--", "/usr/bin/python3", "-c", PYTHON_JOB);
    git = publish("--", "/usr/bin/git", "--version");
    root = busyboxRoot(dir.resolve("node"));
  }

  @AfterAll
  static void stop() {
    if (master != null) {
      master.close();
    }
  }

  @Test
  @Order(1)
  void wrongDigest_failsWithOneLine_andLeavesNoKit() throws Exception {
    String wrong = "sha256:" + "0123456789abcdef".repeat(4);
    Run r = node("/bootstrap", "--kit", wrong, "--master", master.baseUrl());
    assertFailedCleanly(r, "cannot fetch the kit manifest " + wrong);
    assertFalse(Files.exists(root.resolve("var/lib/closure-cache/kit/current"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  @Order(2)
  void deadMaster_failsWithOneLine_andLeavesNoKit() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Run r = node("/bootstrap", "--kit", kit, "--master", "http://127.0.0.1:" + port, "--timeout", "5");
    assertFailedCleanly(r, "cannot fetch the kit manifest");
    assertFalse(Files.exists(root.resolve("var/lib/closure-cache/kit/current"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  @Order(4)
  void aMasterServingACorruptedKitObject_isRefused_andNothingIsRun() throws Exception {
    HttpServer hostile = corruptingProxy(master.baseUrl(), "/v1/objects/");
    try {
      String url = "http://127.0.0.1:" + hostile.getAddress().getPort();
      Run r = node("/bootstrap", "--kit", kit, "--master", url);
      assertFailedCleanly(r, "hashes to sha256:");
      assertTrue(r.err().contains("refusing it"), r.err());
      assertFalse(Files.exists(root.resolve("var/lib/closure-cache/kit/current"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
      assertFalse(Files.exists(root.resolve("var/lib/closure-cache/bin/cache-client")), "no command was written");
      try (var left = Files.list(root.resolve("var/lib/closure-cache/kit"))) {
        assertEquals(List.of(), left.toList(), "the half-fetched kit is gone");
      }
    } finally {
      hostile.stop(0);
    }
  }

  @Test
  @Order(3)
  void aMasterServingAnAlteredKitManifest_isRefused() throws Exception {
    HttpServer hostile = corruptingProxy(master.baseUrl(), "/v1/manifests/");
    try {
      Run r = node("/bootstrap", "--kit", kit, "--master", "http://127.0.0.1:" + hostile.getAddress().getPort());
      assertFailedCleanly(r, "not to the pinned digest");
      assertFalse(Files.exists(root.resolve("var/lib/closure-cache/kit/current"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    } finally {
      hostile.stop(0);
    }
  }

  @Test
  @Order(5)
  void coldBootstrap_thenPublishedJobsRunFromTheNodeCache_asOnThisHost() throws Exception {
    // a proxy that fails, then the master: the bootstrap goes down the list
    Run boot = node("/bootstrap", "--kit", kit, "--master", "http://127.0.0.1:9," + master.baseUrl(),
        "--token-file", "/token");
    assertEquals(0, boot.status(), boot.out() + boot.err());
    Matcher m = FETCHED.matcher(boot.out());
    assertTrue(m.find(), boot.out());
    System.out.println("bootstrap cold: " + m.group(1) + " objects, " + m.group(2) + " bytes, " + m.group(4) + " s");
    assertEquals("0", m.group(3));
    assertTrue(Long.parseLong(m.group(2)) < 80_000_000L, "the kit is under 80 MB on the wire: " + m.group(2));

    Run hostPython = host(List.of("/usr/bin/python3", "-c", PYTHON_JOB));
    Run nodePython = node(NODE + "/bin/exec-shim", "run", "--mode", "namespace", python);
    assertEquals(0, nodePython.status(), nodePython.err());
    assertEquals(hostPython.out(), nodePython.out());
    Run nodeGit = node(NODE + "/bin/exec-shim", "run", "--mode", "namespace", git);
    assertEquals(0, nodeGit.status(), nodeGit.err());
    assertEquals(host(List.of("/usr/bin/git", "--version")).out(), nodeGit.out());
    // the node has no python3, git, bash or java of its own
    for (String p : List.of("usr/bin/python3", "usr/bin/git", "bin/bash", "usr/bin/java", "lib64")) {
      assertFalse(Files.exists(root.resolve(p)), p);
    }
    Run ls = node(NODE + "/bin/cache-client", "ls");
    assertEquals(0, ls.status(), ls.err());
    assertTrue(ls.out().contains(python) && ls.out().contains(git), ls.out());
  }

  @Test
  @Order(6)
  void aWrongDigestLater_leavesTheCurrentKitInUse() throws Exception {
    Path current = root.resolve("var/lib/closure-cache/kit/current");
    String before = Files.readSymbolicLink(current).toString();
    Run r = node("/bootstrap", "--kit", "sha256:" + "f".repeat(64), "--master", master.baseUrl());
    assertFailedCleanly(r, "cannot fetch the kit manifest");
    assertEquals(before, Files.readSymbolicLink(current).toString());
    assertEquals(0, node(NODE + "/bin/cache-client", "--version").status());
  }

  @Test
  @Order(7)
  void aNewKit_fetchesOnlyWhatChanged_andSwitchesOver() throws Exception {
    Run published = host(client("kit", "publish", "--quiet", "--master", master.baseUrl(), "--key",
        dir.resolve("publisher.key").toString(), "--token-file", tokenFile.toString(), "--node-trust",
        dir.resolve("publisher.pub") + "," + dir.resolve("second.pub")));
    assertEquals(0, published.status(), published.err());
    String second = lastLine(published.out());
    assertNotEquals(kit, second);
    Run boot = node("/bootstrap", "--kit", second, "--master", master.baseUrl(), "--token-file", "/token",
        "--warm", python);
    assertEquals(0, boot.status(), boot.out() + boot.err());
    Matcher m = FETCHED.matcher(boot.out());
    assertTrue(m.find(), boot.out());
    System.out.println("bootstrap incremental: " + m.group(1) + " objects, " + m.group(2) + " bytes, linked "
        + m.group(3) + ", " + m.group(4) + " s");
    assertTrue(Integer.parseInt(m.group(1)) <= 2, "only the new key file (and kit.env if it moved): " + boot.out());
    assertTrue(Integer.parseInt(m.group(3)) > 50, boot.out());
    Path kits = root.resolve("var/lib/closure-cache/kit");
    assertEquals(second.substring(7), Files.readSymbolicLink(kits.resolve("current")).toString());
    assertTrue(Files.isDirectory(kits.resolve(kit.substring(7))), "the previous kit stays");
    String props = Files.readString(root.resolve("var/lib/closure-cache/etc/client.properties"));
    assertEquals(2, props.split("\\.pub").length - 1, props);
    Run again = node(NODE + "/bin/exec-shim", "run", python);
    assertEquals(0, again.status(), again.err());
    assertEquals(host(List.of("/usr/bin/python3", "-c", PYTHON_JOB)).out(), again.out());
  }

  // --- the site --------------------------------------------------------------------------------

  static void assertFailedCleanly(Run r, String says) {
    assertEquals(1, r.status(), r.out() + r.err());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), "one line: " + r.err());
    assertTrue(lines.get(0).startsWith("bootstrap: ") && lines.get(0).contains(says), r.err());
  }

  static String publish(String... capture) throws Exception {
    List<String> cmd = client("publish", "--quiet", "--master", master.baseUrl(), "--key",
        dir.resolve("publisher.key").toString(), "--token-file", tokenFile.toString());
    cmd.addAll(List.of(capture));
    Run r = host(cmd);
    assertEquals(0, r.status(), r.err());
    return lastLine(r.out());
  }

  static List<String> client(String... args) {
    List<String> cmd = new ArrayList<>(List.of(BIN.resolve("cache-client").toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static String lastLine(String out) {
    List<String> lines = out.strip().lines().toList();
    return lines.get(lines.size() - 1);
  }

  /** busybox-static and its applets as links, /dev, /proc, an empty /tmp, the bootstrap, the token. */
  static Path busyboxRoot(Path r) throws Exception {
    for (String d : List.of("bin", "dev", "proc", "tmp", "var/lib")) {
      Files.createDirectories(r.resolve(d));
    }
    Files.copy(Path.of("/bin/busybox"), r.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String applet : host(List.of("/bin/busybox", "--list")).out().lines().toList()) {
      if (!applet.isBlank() && !applet.equals("busybox")) {
        Files.createSymbolicLink(r.resolve("bin").resolve(applet), Path.of("busybox"));
      }
    }
    Files.copy(BOOTSTRAP, r.resolve("bootstrap"), StandardCopyOption.COPY_ATTRIBUTES);
    Files.copy(tokenFile, r.resolve("token"));
    return r;
  }

  /** Runs a command inside the busybox root, with an environment of PATH=/bin only. */
  static Run node(String... command) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bwrap", "--bind", root.toString(), "/", "--dev", "/dev", "--proc",
        "/proc", "--tmpfs", "/tmp", "--cap-add", "ALL", "--die-with-parent", "--chdir", "/", "--"));
    cmd.addAll(List.of(command));
    return run(Map.of("PATH", "/bin"), cmd);
  }

  static Run host(List<String> command) throws Exception {
    return run(Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8"), command);
  }

  static Run run(Map<String, String> env, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().clear();
    pb.environment().putAll(env);
    Path err = Files.createTempFile(dir, "run-", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " hung");
    }
    String stderr = Files.readString(err);
    Files.delete(err);
    return new Run(p.exitValue(), out, stderr);
  }

  /** A master in front of the real one that flips one byte in the middle of every object under {@code prefix}. */
  static HttpServer corruptingProxy(String upstream, String prefix) throws IOException {
    HttpClient http = HttpClient.newHttpClient();
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    s.createContext("/", exchange -> {
      try (exchange) {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(upstream + exchange.getRequestURI())).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        byte[] body = r.body();
        if (exchange.getRequestURI().getPath().startsWith(prefix) && body.length > 0) {
          body[body.length / 2] ^= 1;
        }
        exchange.sendResponseHeaders(r.statusCode(), body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody(); InputStream ignored = InputStream.nullInputStream()) {
          out.write(body);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    s.start();
    return s;
  }
}
