package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * D2: another local user must not be able to stall the cache's writers, and a writer never waits
 * forever. The tests run as root; the attacker is uid 65534 (nobody), started with setpriv.
 */
class NodeCacheLockTest {
  /**
   * Takes a POSIX shared lock (the kind Java's and RocksDB's locks are) on argv[1], without waiting
   * when there is an argv[2], prints "held", and holds it until stdin ends.
   */
  private static final String SHARED_LOCKER = "import fcntl, sys\n"
      + "f = open(sys.argv[1])\n"
      + "fcntl.lockf(f, fcntl.LOCK_SH | (fcntl.LOCK_NB if len(sys.argv) > 2 else 0))\n"
      + "print('held', flush=True)\n"
      + "sys.stdin.readline()\n";

  @TempDir Path dir;
  Path root;

  @BeforeEach
  void searchableByEveryone() throws IOException {
    // JUnit makes its temp directory 0700; the cache root must be reachable for the attack to be real.
    Files.setAttribute(dir, "unix:mode", 0755);
    root = dir.resolve("cache");
  }

  @Test
  @Timeout(60)
  void open_onACacheMadeWithWorldReadableLocks_tightensThem_soAnotherUserCannotOpenEitherLock() throws Exception {
    try (NodeCache cache = NodeCache.open(root, Waiter.silent())) {
      assertTrue(Files.exists(root.resolve("index/LOCK")));
    }
    // the modes caches were made with before
    Files.setAttribute(root.resolve("lock"), "unix:mode", 0644);
    Files.setAttribute(root.resolve("index/LOCK"), "unix:mode", 0644);
    for (String d : List.of("index", "tmp", "quarantine")) {
      Files.setAttribute(root.resolve(d), "unix:mode", 0755);
    }

    NodeCache.open(root, Waiter.silent()).close(); // tightens them; the attack needs no writer open

    for (String lock : List.of("lock", "index/LOCK")) {
      Run nobody = asNobody(root.resolve(lock));
      assertNotEquals(0, nobody.status, lock + ": nobody took a shared lock: " + nobody.out);
      assertTrue(nobody.err.contains("PermissionError"), lock + ": " + nobody.err);
    }
    assertEquals(0600, mode(root.resolve("lock")));
    assertEquals(0600, mode(root.resolve("index/LOCK")));
    for (String d : List.of("index", "tmp", "quarantine")) {
      assertEquals(0700, mode(root.resolve(d)), d);
    }
    for (String d : List.of("objects", "running")) {
      assertEquals(d.equals("running") ? 01777 : 0755, mode(root.resolve(d)), d + " stays open to every user");
    }
    NodeCache.open(root, Waiter.silent(), Duration.ZERO).close(); // and nothing stalls the next writer
  }

  @Test
  @Timeout(60)
  void open_whileAnotherProcessHoldsTheLock_givesUpAfterTheTimeout_namingTheHoldersPid() throws Exception {
    NodeCache.open(root, Waiter.silent()).close();
    try (ChildJvm child = ChildJvm.start(CacheHolderMain.class, dir.resolve("child.err"), root.toString())) {
      child.awaitLine("locked", 30);
      List<String> told = new ArrayList<>();
      long start = System.nanoTime();

      CacheLockTimeoutException e = assertThrows(CacheLockTimeoutException.class,
          () -> NodeCache.open(root, told::add, Duration.ofMillis(700)));

      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(waited >= 700 && waited < 10_000, "waited " + waited + " ms");
      assertTrue(e.getMessage().contains("pid " + child.process.pid()), e.getMessage());
      assertTrue(e.getMessage().contains("--lock-timeout"), e.getMessage());
      assertEquals(List.of("another cache-client (pid " + child.process.pid() + ")"), told);
      child.sendLine();
      child.awaitLine("closed", 10);
    }
    NodeCache.open(root, Waiter.silent(), Duration.ZERO).close(); // free again: no wait at all
  }

  @Test
  @Timeout(60)
  void open_whenAProcessThatNeverWroteItsPidHoldsTheLock_namesItFromTheKernelsLockTable() throws Exception {
    NodeCache.open(root, Waiter.silent()).close();
    Files.writeString(root.resolve("lock"), "");
    Process holder = new ProcessBuilder("/usr/bin/python3", "-c", SHARED_LOCKER, root.resolve("lock").toString())
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("held", out.readLine());

      CacheLockTimeoutException e = assertThrows(CacheLockTimeoutException.class,
          () -> NodeCache.open(root, Waiter.silent(), Duration.ofMillis(300)));

      assertTrue(e.getMessage().contains("held by pid " + holder.pid()), e.getMessage());
    } finally {
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(30)
  void open_twiceInOneProcess_theSecondGivesUpAfterTheTimeout() throws Exception {
    try (NodeCache first = NodeCache.open(root, Waiter.silent())) {
      CacheLockTimeoutException e = assertThrows(CacheLockTimeoutException.class,
          () -> NodeCache.open(root, Waiter.silent(), Duration.ofMillis(200)));
      assertTrue(e.getMessage().contains("in this process (pid " + ProcessHandle.current().pid() + ")"),
          e.getMessage());
    }
  }

  record Run(int status, String out, String err) {}

  /** Runs the shared locker on {@code file} as uid/gid 65534 and ends it once it holds the lock (or fails). */
  private static Run asNobody(Path file) throws Exception {
    Process p = new ProcessBuilder("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
        "/usr/bin/python3", "-c", SHARED_LOCKER, file.toString(), "nonblocking").start();
    p.getOutputStream().close(); // a successful locker reads EOF and exits 0
    try {
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the locker never ended");
      return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
          new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }

  private static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode") & 07777;
  }
}
