package org.closurecache.shim.e2e;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.capture.ProgramLocator;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.master.MasterOptions;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.publish.Publisher;
import org.closurecache.core.capture.ClosureCapture;
import org.closurecache.core.capture.EnvFilter;
import org.closurecache.core.capture.StraceRecorder;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.elf.ElfReader;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.resolve.HostResolver;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.Signer;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;

/**
 * The publishing host and the node in one test process: a real master on port 0 (write token,
 * publisher key), programs published with cache-client's capture and publisher classes, and jobs
 * started through {@code deploy/bin/exec-shim run} and {@code deploy/bin/exec-view} against the
 * packaged jars. Host runs of the same command use exactly the environment the manifest recorded.
 *
 * <p>Every script runs with a cleared environment ({@link #NODE_ENV} plus what a test adds), so
 * what reaches a job does not depend on the environment the build happens to run in.
 */
final class Site implements AutoCloseable {
  static final Path BIN = Path.of(System.getProperty("user.dir")).resolve("../deploy/bin").normalize();
  static final String TOKEN = "write-token-fidelity-0123456789abcdef";
  /** What programs are published with: the environment manifests record. */
  static final Map<String, String> PUBLISH_ENV = Map.of(
      "PATH", "/usr/local/bin:/usr/bin:/bin", "LANG", "C.UTF-8", "HOME", "/nonexistent");
  /** The node's environment for the launch scripts: deliberately not the recorded one. */
  static final Map<String, String> NODE_ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "LANG", "C",
      "FIDELITY_NODE_ONLY", "a node variable no job should see");
  private static final long TIMEOUT_SECONDS = 120;

  final Path dir;
  final Path key;
  final Path pub;
  private final CacheServer server;
  private final String url;
  private boolean stopped;

  private Site(Path dir, Path key, Path pub, CacheServer server) {
    this.dir = dir;
    this.key = key;
    this.pub = pub;
    this.server = server;
    this.url = server.baseUrl();
  }

  /** Starts a master with its store under {@code dir}, trusting a publisher key made there. */
  static Site start(Path dir) throws IOException {
    Files.createDirectories(dir);
    KeyFiles.writeKeyPair(dir.resolve("publisher"), false);
    Path tokens = Files.writeString(dir.resolve("tokens"), "write " + TOKEN + "\n");
    Map<String, String> s = new TreeMap<>(Map.of(
        "store", dir.resolve("store").toString(),
        "listen", "127.0.0.1:0",
        "tokens-file", tokens.toString(),
        "publisher-keys", dir.resolve("publisher.pub").toString(),
        "shutdown-grace", "1s"));
    CacheServer server = CacheServer.start(ServerConfig.defaults().with(s, dir));
    return new Site(dir, dir.resolve("publisher.key"), dir.resolve("publisher.pub"), server);
  }

  /** The master's URL, also after {@link #stopMaster} (when nothing listens there any more). */
  String url() {
    return url;
  }

  /** Stops the master: later launches must do without it. */
  void stopMaster() {
    if (!stopped) {
      stopped = true;
      server.close();
    }
  }

  @Override
  public void close() {
    stopMaster();
  }

  record Run(int status, String out, String err) {
    /** Stdout's lines. */
    List<String> lines() {
      return out.lines().toList();
    }
  }

  /** How a program is captured: what {@code cache-client publish}'s --trace, --include and --keep-env say. */
  record Capture(boolean trace, List<String> includes, List<String> keepEnv) {
    static final Capture TRACED = new Capture(true, List.of(), List.of());

    Capture including(String path) {
      List<String> more = new ArrayList<>(includes);
      more.add(path);
      return new Capture(trace, more, keepEnv);
    }

    Capture keepingEnv(String pattern) {
      List<String> more = new ArrayList<>(keepEnv);
      more.add(pattern);
      return new Capture(trace, includes, more);
    }
  }

  /**
   * Publishes {@code program} as run in {@code cwd} with {@code env} (where the recording run of a
   * traced capture runs too), through cache-client's classes in this process, as {@code
   * cache-client publish} does: no JVM start per publish. {@code PWD} is added as the shell that
   * starts {@code cache-client publish} adds it.
   */
  Digest publish(Path cwd, Map<String, String> given, Capture how, String... program) throws IOException {
    Map<String, String> env = new TreeMap<>(given);
    env.putIfAbsent("PWD", cwd.toString());
    return publishExactly(cwd, env, how, program);
  }

  /** {@link #publish} with exactly the environment {@code env}, as a scheduler's {@code env -i} leaves it. */
  Digest publishExactly(Path cwd, Map<String, String> env, Capture how, String... program) throws IOException {
    String path = ProgramLocator.locate(program[0], env.get("PATH"), cwd.toString());
    String interpreter = HostResolver.X86_64_INTERPRETER;
    if (ElfReader.isElf(Path.of(path))) {
      interpreter = ElfReader.read(Path.of(path)).interpreter().orElse(interpreter);
    }
    ClosureCapture.Options options = new ClosureCapture.Options(how.includes(), how.trace(),
        ClosureCapture.DEFAULT_TRACE_EXCLUDE, EnvFilter.defaults().with(List.of(), how.keepEnv()));
    Path scratch = Files.createTempDirectory(dir, "capture-");
    Manifest manifest = new ClosureCapture(HostResolver.forInterpreter(interpreter).resolver(),
        new StraceRecorder(straceToLog().toString(), TIMEOUT_SECONDS), scratch)
        .capture(path, List.of(program), env, cwd.toString(), options).manifest();
    MasterOptions masters = MasterOptions.of(List.of(URI.create(url())), Optional.of(TOKEN));
    try (MasterClient master = MasterClient.create(masters)) {
      return new Publisher(master, Signer.load(key), 4, Clock.systemUTC())
          .publish(manifest, Optional.empty(), Progress.silent()).manifest();
    }
  }

  /**
   * strace with the recording run's output sent to {@code recording.log} beside the master's
   * store: inherited as it is, stdout would land on this forked JVM's stdout, which failsafe reads
   * as its channel.
   */
  private Path straceToLog() throws IOException {
    Path wrapper = dir.resolve("strace-to-log");
    if (!Files.exists(wrapper)) {
      Path temp = Files.writeString(Files.createTempFile(dir, "strace-", ".tmp"),
          "#!/bin/sh\nexec strace \"$@\" >>" + dir.resolve("recording.log") + " 2>&1\n");
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.move(temp, wrapper, StandardCopyOption.ATOMIC_MOVE);
    }
    return wrapper;
  }

  /** {@code exec-shim run} against this master, from the node environment plus {@code nodeEnv}. */
  Run shim(Path cache, Map<String, String> nodeEnv, List<String> options, Digest manifest, String... args)
      throws IOException, InterruptedException {
    return run(shimCommand(cache, options, manifest, args), node(nodeEnv), null);
  }

  List<String> shimCommand(Path cache, List<String> options, Digest manifest, String... args) {
    return shimCommand(url(), pub, cache, options, manifest, args);
  }

  static List<String> shimCommand(String masters, Path trust, Path cache, List<String> options, Digest manifest,
      String... args) {
    List<String> cmd = new ArrayList<>(List.of(BIN.resolve("exec-shim").toString(), "run", "--master", masters,
        "--cache", cache.toString(), "--trust", trust.toString()));
    cmd.addAll(options);
    cmd.add(manifest.toString());
    if (args.length > 0) {
      cmd.add("--");
      cmd.addAll(List.of(args));
    }
    return cmd;
  }

  /** {@code exec-view}, the warm path with no JVM, on the view {@code exec-shim run} built. */
  static Run view(Path cache, Digest manifest, Map<String, String> nodeEnv, List<String> options, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(BIN.resolve("exec-view").toString()));
    cmd.addAll(options);
    cmd.add(viewDir(cache, manifest).toString());
    if (args.length > 0) {
      cmd.add("--");
      cmd.addAll(List.of(args));
    }
    return run(cmd, node(nodeEnv), null);
  }

  static Path viewDir(Path cache, Digest manifest) {
    return CacheLayout.at(cache).views().viewDir(manifest);
  }

  /** The manifest as the node cache stored it (read-only: no writer is disturbed). */
  static Manifest manifest(Path cache, Digest digest) throws Exception {
    try (NodeCache c = NodeCache.openReadOnly(cache)) {
      return SignedManifest.storedManifest(c.manifest(digest).orElseThrow(
          () -> new AssertionError(digest + " is not in " + cache)));
    }
  }

  /**
   * The recorded command run directly on this host: the recorded argv (or argv[0] with {@code
   * args}), exactly the recorded environment, in {@code cwd} (the recorded one when null).
   */
  static Run host(Manifest m, Path cwd, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(m.launch().argv());
    if (args.length > 0) {
      argv = new ArrayList<>(List.of(argv.get(0)));
      argv.addAll(List.of(args));
    }
    return run(argv, m.launch().env(), cwd != null ? cwd : Path.of(m.launch().cwd()));
  }

  static Map<String, String> node(Map<String, String> extra) {
    Map<String, String> env = new LinkedHashMap<>(NODE_ENV);
    env.putAll(extra);
    return env;
  }

  /** Runs {@code cmd} with exactly {@code env}; stdout and stderr go to files (no pipe can fill). */
  static Run run(List<String> cmd, Map<String, String> env, Path cwd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    if (cwd != null) {
      pb.directory(cwd.toFile());
    }
    Path out = Files.createTempFile("fidelity-", ".out");
    Path err = Files.createTempFile("fidelity-", ".err");
    try {
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      Process p = pb.start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Deletes a tree the test made (git's objects are read-only files: fine for their owner's unlink). */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Same stdout, stderr and exit status. */
  static void assertSameRun(Run host, Run job) {
    assertAll(
        () -> assertEquals(host.out(), job.out(), "stdout"),
        () -> assertEquals(host.err(), job.err(), "stderr"),
        () -> assertEquals(host.status(), job.status(), "exit status; job stderr: " + job.err()));
  }

  static void assertOk(Run r) {
    assertEquals(0, r.status(), () -> "exit status " + r.status() + "; stderr: " + r.err());
  }
}
