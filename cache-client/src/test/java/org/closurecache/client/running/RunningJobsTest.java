package org.closurecache.client.running;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
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

  /** {@code sleep 30}: a job in its own process, as a shell launcher exec's it. */
  static Process sleeper() throws IOException {
    return new ProcessBuilder("sleep", "30").redirectErrorStream(true).start();
  }

  @Test
  void pidFile_keepsItsManifestInUseWhileTheProcessLives_thenIsRemovedAsStale() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Digest a = digest("a");
    Process job = sleeper();
    try {
      Path file = RunningJobs.markRunningPid(layout, a, job.pid());
      assertEquals(layout.runningDir().resolve(a.hex() + "." + job.pid()), file);
      assertTrue(Files.readString(file).matches("[0-9]+\n"), Files.readString(file));
      assertEquals(Set.of(a), RunningJobs.inUse(layout));
      assertEquals(Set.of(a), RunningJobs.inUse(layout), "asking does not remove a live mark");
      assertTrue(Files.exists(file));
    } finally {
      job.destroy();
      assertTrue(job.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(Set.of(), RunningJobs.inUse(layout));
    assertFalse(Files.exists(layout.runningDir().resolve(a.hex() + "." + job.pid())), "stale: removed");
  }

  @Test
  void lastLaunched_isTheNewestPidFileOfEachManifest_liveOrStale() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Digest a = digest("a");
    Digest b = digest("b");
    Files.createDirectories(layout.runningDir());
    Path older = Files.writeString(layout.runningDir().resolve(a.hex() + ".999999998"), "1\n");
    Path newer = Files.writeString(layout.runningDir().resolve(a.hex() + ".999999999"), "1\n");
    Path other = Files.writeString(layout.runningDir().resolve(b.hex() + ".999999997"), "1\n");
    Files.writeString(layout.runningDir().resolve("not-a-pid-file"), "");
    Files.setLastModifiedTime(older, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
    Files.setLastModifiedTime(newer, java.nio.file.attribute.FileTime.fromMillis(2_000_000));
    Files.setLastModifiedTime(other, java.nio.file.attribute.FileTime.fromMillis(3_000_000));
    assertEquals(java.util.Map.of(a, 2_000_000L, b, 3_000_000L), RunningJobs.lastLaunched(layout));
    assertEquals(Set.of(), RunningJobs.inUse(layout), "no such processes: all stale");
    assertEquals(java.util.Map.of(), RunningJobs.lastLaunched(layout), "inUse removed the stale files");
  }

  @Test
  void pidFile_withAnotherStartTime_isPidReuse_andRemovedAsStale() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Digest a = digest("a");
    Process job = sleeper();
    try {
      Path file = RunningJobs.markRunningPid(layout, a, job.pid());
      long start = Long.parseLong(Files.readString(file).strip());
      Files.writeString(file, (start - 1) + "\n");
      assertEquals(Set.of(), RunningJobs.inUse(layout));
      assertFalse(Files.exists(file));
    } finally {
      job.destroy();
      job.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void pidFile_writtenAsAShellLauncherDoes_isUnderstood() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Files.createDirectories(layout.runningDir());
    Digest a = digest("a");
    // The launcher writes for its own pid, then exec's the job in it. A process's command name
    // (field 2) is its executable's file name and may hold spaces and ')': hence a bash under
    // such a name, and fields counted after the last ')'.
    Path bash = Files.createSymbolicLink(dir.resolve("a) b (c"), Path.of("/bin/bash"));
    Path script = Files.writeString(dir.resolve("launcher.sh"), String.join("\n",
        "read -r stat < /proc/$$/stat",
        "rest=${stat##*) }",
        "read -ra f <<< \"$rest\"",
        "printf '%s\\n' \"${f[19]}\" > \"$1/$2.$$\"",
        "echo \"$stat\"",
        "exec sleep 30", ""));
    Process job = new ProcessBuilder(bash.toString(), script.toString(), layout.runningDir().toString(), a.hex())
        .start();
    try {
      String stat = new BufferedReader(new InputStreamReader(job.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertTrue(stat.startsWith(job.pid() + " (a) b (c) "), stat);
      assertEquals(Set.of(a), RunningJobs.inUse(layout));
    } finally {
      job.destroy();
      assertTrue(job.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(Set.of(), RunningJobs.inUse(layout));
  }

  @Test
  void parseStartTime_countsFieldsAfterTheLastParenthesis() {
    String fields = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21";
    assertEquals(OptionalLong.of(987654), RunningJobs.parseStartTime("42 (a) b (c) d)" + fields));
    assertEquals(OptionalLong.of(987654), RunningJobs.parseStartTime("42 (sleep)" + fields));
    assertEquals(OptionalLong.empty(), RunningJobs.parseStartTime("42 (sleep) S 1 2"));
    assertEquals(OptionalLong.empty(), RunningJobs.parseStartTime("garbage"));
  }

  @Test
  void malformedPidFiles_areIgnoredWithoutCrashing_andRemovedOnceTheirProcessIsGone() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Path running = Files.createDirectories(layout.runningDir());
    Digest a = digest("a");
    Digest b = digest("b");
    List<String> badNames = List.of(a.hex() + ".", a.hex() + ".abc", a.hex() + ".-5", a.hex() + ".0",
        a.hex() + ".012", a.hex() + ".99999999999999999999999", "nothex." + ProcessHandle.current().pid(),
        a.hex().toUpperCase(java.util.Locale.ROOT) + "." + ProcessHandle.current().pid());
    for (String name : badNames) {
      Files.writeString(running.resolve(name), "garbage");
    }
    Files.createDirectory(running.resolve(b.hex() + "." + ProcessHandle.current().pid()));
    assertEquals(Set.of(), RunningJobs.inUse(layout));
    for (String name : badNames) {
      assertTrue(Files.exists(running.resolve(name)), "not ours, left alone: " + name);
    }

    Process job = sleeper();
    Path unreadable = running.resolve(a.hex() + "." + job.pid());
    try {
      // garbage content (or none: a launcher writing it right now) with a live pid: kept, in use
      Files.writeString(unreadable, "not a start time\n");
      assertEquals(Set.of(a), RunningJobs.inUse(layout));
      Files.writeString(unreadable, "");
      assertEquals(Set.of(a), RunningJobs.inUse(layout));
    } finally {
      job.destroy();
      assertTrue(job.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(Set.of(), RunningJobs.inUse(layout));
    assertFalse(Files.exists(unreadable), "its process is gone: stale");
  }

  @Test
  void markRunningPid_ofNoProcess_fails() throws Exception {
    Process job = sleeper();
    job.destroy();
    assertTrue(job.waitFor(30, TimeUnit.SECONDS));
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    assertThrows(NoSuchFileException.class, () -> RunningJobs.markRunningPid(layout, digest("a"), job.pid()));
    assertThrows(IllegalArgumentException.class, () -> RunningJobs.markRunningPid(layout, digest("a"), 0));
  }

  @Test
  void bothMarks_together_areBothSeen() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Digest a = digest("a");
    Digest b = digest("b");
    FileLock lock = RunningJobs.markRunning(layout, a);
    try {
      RunningJobs.markRunningPid(layout, b, ProcessHandle.current().pid());
      assertEquals(Set.of(a, b), RunningJobs.inUse(layout));
    } finally {
      lock.release();
      lock.channel().close();
    }
    assertEquals(Set.of(b), RunningJobs.inUse(layout));
  }
}
