package org.closurecache.client.running;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Running-job locks across processes, as gc sees them. */
class RunningJobsTest {
  @TempDir Path dir;

  static Digest digest(String seed) {
    return Digest.of(seed.getBytes(StandardCharsets.UTF_8));
  }

  /** A child JVM running {@link RunningHolderMain}; {@link #close} kills it if still alive. */
  static final class Job implements AutoCloseable {
    final Process process;
    final BufferedReader stdout;

    Job(Path cache, Digest manifest, Path stderr) throws IOException {
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      process = new ProcessBuilder(List.of(java.toString(), "-Xmx32m", "-XX:TieredStopAtLevel=1", "-cp",
          System.getProperty("java.class.path"), RunningHolderMain.class.getName(), cache.toString(), manifest.toString()))
          .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
          .start();
      stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Blocks until the child prints its first line (it does within seconds, or dies). */
    void awaitRunning(Path stderr) throws IOException {
      String line = stdout.readLine();
      if (!"running".equals(line)) {
        throw new AssertionError("child printed " + line + "; stderr: " + Files.readString(stderr));
      }
    }

    void endNormally() throws Exception {
      process.getOutputStream().write('\n');
      process.getOutputStream().flush();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "child did not exit");
      assertEquals(0, process.exitValue());
    }

    void kill9() throws Exception {
      process.destroyForcibly();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "child did not die");
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        kill9();
      }
    }
  }

  @Test
  void noRunningDir_nothingInUse() throws Exception {
    assertEquals(Set.of(), RunningJobs.inUse(CacheLayout.at(dir.resolve("cache"))));
  }

  @Test
  void jobInAnotherProcess_isInUseUntilItExits() throws Exception {
    Path cache = dir.resolve("cache");
    CacheLayout layout = CacheLayout.at(cache);
    Digest a = digest("a");
    Digest b = digest("b");
    Path stderr = dir.resolve("child.err");
    try (Job ja = new Job(cache, a, stderr); Job jb = new Job(cache, b, stderr)) {
      ja.awaitRunning(stderr);
      jb.awaitRunning(stderr);
      assertEquals(Set.of(a, b), RunningJobs.inUse(layout));
      assertEquals(Set.of(a, b), RunningJobs.inUse(layout), "asking does not disturb the holders");

      ja.endNormally();
      assertEquals(Set.of(b), RunningJobs.inUse(layout));

      jb.kill9();
      assertEquals(Set.of(), RunningJobs.inUse(layout), "a killed job holds nothing");
    }
    // the lock files stay; they are harmless
    assertTrue(Files.exists(layout.runningDir().resolve(a.hex())));
  }

  @Test
  void sameManifestRunTwice_staysInUseWhileEitherRuns() throws Exception {
    Path cache = dir.resolve("cache");
    CacheLayout layout = CacheLayout.at(cache);
    Digest a = digest("a");
    Path stderr = dir.resolve("child.err");
    try (Job first = new Job(cache, a, stderr); Job second = new Job(cache, a, stderr)) {
      first.awaitRunning(stderr);
      second.awaitRunning(stderr);
      first.kill9();
      assertEquals(Set.of(a), RunningJobs.inUse(layout), "the shared locks are independent");
      second.endNormally();
      assertEquals(Set.of(), RunningJobs.inUse(layout));
    }
  }

  @Test
  void jobInThisProcess_isInUseUntilReleased() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Digest a = digest("a");
    FileLock lock = RunningJobs.markRunning(layout, a);
    try {
      assertEquals(Set.of(a), RunningJobs.inUse(layout));
    } finally {
      lock.release();
      lock.channel().close();
    }
    assertEquals(Set.of(), RunningJobs.inUse(layout));
  }

  @Test
  void foreignFilesInRunningDir_areIgnored() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Files.createDirectories(layout.runningDir());
    Files.writeString(layout.runningDir().resolve("README"), "not a digest");
    Files.writeString(layout.runningDir().resolve(digest("idle").hex()), "");
    assertEquals(Set.of(), RunningJobs.inUse(layout));
  }
}
