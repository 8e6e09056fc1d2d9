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
    assertTrue(Files.exists(RunningJobs.userDir(layout, myUid()).resolve(a.hex())));
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
    Path mine = ownUserDir(layout);
    Files.writeString(layout.runningDir().resolve("README"), "not a digest");
    Files.writeString(mine.resolve("README"), "not a digest");
    Files.writeString(mine.resolve(digest("idle").hex()), "");
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
      assertEquals(RunningJobs.userDir(layout, myUid()).resolve(a.hex() + "." + job.pid()), file);
      assertTrue(Files.readString(file).matches("[0-9]+\n"), Files.readString(file));
      assertEquals(Set.of(a), RunningJobs.inUse(layout));
      assertEquals(Set.of(a), RunningJobs.inUse(layout), "asking does not remove a live mark");
      assertTrue(Files.exists(file));
    } finally {
      job.destroy();
      assertTrue(job.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(Set.of(), RunningJobs.inUse(layout));
    assertFalse(Files.exists(RunningJobs.userDir(layout, myUid()).resolve(a.hex() + "." + job.pid())), "stale: removed");
  }

  @Test
  void lastLaunched_isTheNewestPidFileOfEachManifest_liveOrStale() throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Digest a = digest("a");
    Digest b = digest("b");
    Path mine = ownUserDir(layout);
    Path older = Files.writeString(mine.resolve(a.hex() + ".999999998"), "1\n");
    Path newer = Files.writeString(mine.resolve(a.hex() + ".999999999"), "1\n");
    Path other = Files.writeString(mine.resolve(b.hex() + ".999999997"), "1\n");
    Files.writeString(mine.resolve("not-a-pid-file"), "");
    Files.writeString(layout.runningDir().resolve(b.hex() + ".999999996"), "1\n");  // flat: not trusted
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
    layout.create();
    Digest a = digest("a");
    // The launcher writes for its own pid, then exec's the job in it. A process's command name
    // (field 2) is its executable's file name and may hold spaces and ')': hence a bash under
    // such a name, and fields counted after the last ')'.
    Path bash = Files.createSymbolicLink(dir.resolve("a) b (c"), Path.of("/bin/bash"));
    Path script = Files.writeString(dir.resolve("launcher.sh"), String.join("\n",
        "read -r stat < /proc/$$/stat",
        "rest=${stat##*) }",
        "read -ra f <<< \"$rest\"",
        "d=$1/$UID; [ -e \"$d\" ] || [ -L \"$d\" ] || mkdir -m 0755 \"$d\"",
        "[ ! -L \"$d\" ] && [ -d \"$d\" ] && [ -O \"$d\" ] && printf '%s\\n' \"${f[19]}\" > \"$d/$2.$$\"",
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
    Path running = ownUserDir(layout);
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

  static final int NOBODY = 65534;

  static long myUid() throws IOException {
    return RunningJobs.parseRealUid(Files.readString(Path.of("/proc/self/status"))).orElseThrow();
  }

  /** {@code running/<my uid>/}, as a launcher makes it. */
  static Path ownUserDir(CacheLayout layout) throws IOException {
    layout.create();
    Path mine = Files.createDirectories(RunningJobs.userDir(layout, myUid()));
    Files.setPosixFilePermissions(mine, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    return mine;
  }

  /** Writes {@code content} to {@code file} and gives it (and, with a directory, that too) to {@code uid}. */
  static Path ownedBy(int uid, Path file, String content) throws IOException {
    Files.writeString(file, content);
    Files.setAttribute(file, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    return file;
  }

  static Path userDirOwnedBy(CacheLayout layout, long name, int owner) throws IOException {
    Path d = Files.createDirectories(RunningJobs.userDir(layout, name));
    Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setAttribute(d, "unix:uid", owner, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    return d;
  }

  static boolean isRoot() throws IOException {
    return myUid() == 0;
  }

  @Test
  void inUse_whenAnotherUserMarksPid1_doesNotKeepTheClosure() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(isRoot(), "giving files to another user needs root");
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    layout.create();
    Digest a = digest("a");
    String init = RunningJobs.startTime(1).orElseThrow() + "\n";
    // pid 1's true start time, by nobody: in the shared directory, and in nobody's own
    ownedBy(NOBODY, layout.runningDir().resolve(a.hex() + ".1"), init);
    ownedBy(NOBODY, userDirOwnedBy(layout, NOBODY, NOBODY).resolve(a.hex() + ".1"), init);
    assertEquals(Set.of(), RunningJobs.inUse(layout));
  }

  @Test
  void inUse_whenTheMarksOwnerIsNotTheProcesssUser_doesNotKeepTheClosure() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(isRoot(), "giving files to another user needs root");
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    layout.create();
    Digest a = digest("a");
    Process rootJob = sleeper();
    try {
      String start = RunningJobs.startTime(rootJob.pid()).orElseThrow() + "\n";
      String name = a.hex() + "." + rootJob.pid();
      // root's process, marked by nobody: flat, in nobody's directory, in a directory "0" that
      // nobody made first (an impostor), and in root's own directory but owned by nobody
      ownedBy(NOBODY, layout.runningDir().resolve(name), start);
      ownedBy(NOBODY, userDirOwnedBy(layout, NOBODY, NOBODY).resolve(name), start);
      Path impostor = userDirOwnedBy(layout, 0, NOBODY);
      ownedBy(NOBODY, impostor.resolve(name), start);
      assertEquals(Set.of(), RunningJobs.inUse(layout));
      assertFalse(Files.exists(impostor, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the impostor's name is freed");
      try (var aside = Files.list(layout.runningDir())) {
        assertTrue(aside.anyMatch(p -> p.getFileName().toString().startsWith(".impostor-0-")),
            "moved aside whole, never walked into");
      }

      Path rootsOwn = userDirOwnedBy(layout, 0, 0);
      ownedBy(NOBODY, rootsOwn.resolve(name), start);
      assertEquals(Set.of(), RunningJobs.inUse(layout));
      ownedBy(0, rootsOwn.resolve(name), start);
      assertEquals(Set.of(a), RunningJobs.inUse(layout), "root's own mark for root's process holds");
      Files.setPosixFilePermissions(rootsOwn, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      assertEquals(Set.of(), RunningJobs.inUse(layout), "a directory others may write proves nothing");
    } finally {
      rootJob.destroy();
      assertTrue(rootJob.waitFor(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void markRunningPid_whenItsUserDirIsAPlantedSymlink_writesNothingThroughIt() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(isRoot(), "planting as another user needs root");
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    layout.create();
    Path victim = Files.createDirectories(dir.resolve("victim"));
    Path planted = Files.createSymbolicLink(RunningJobs.userDir(layout, myUid()), victim);
    Files.setAttribute(planted, "unix:uid", NOBODY, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    IOException e = assertThrows(IOException.class,
        () -> RunningJobs.markRunningPid(layout, digest("a"), ProcessHandle.current().pid()));
    assertTrue(e.getMessage().contains("not this user's own directory"), e.getMessage());
    try (var inVictim = Files.list(victim)) {
      assertEquals(0, inVictim.count(), "nothing written through the symlink");
    }
    assertEquals(Set.of(), RunningJobs.inUse(layout));
    assertFalse(Files.exists(planted, java.nio.file.LinkOption.NOFOLLOW_LINKS), "gc removes the planted link");
    assertTrue(Files.isDirectory(victim), "...and not what it points to");
  }

  @Test
  void markRunningPid_ofAnotherUsersProcess_isRefused() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(isRoot(), "starting a process as another user needs root");
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    Process nobodys = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
        "/bin/sh", "-c", "echo ready; exec sleep 30").start();
    try {
      assertEquals("ready", new BufferedReader(new InputStreamReader(nobodys.getInputStream(), StandardCharsets.UTF_8))
          .readLine());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> RunningJobs.markRunningPid(layout, digest("a"), nobodys.pid()));
      assertTrue(e.getMessage().contains("only a process's own user can mark it"), e.getMessage());
    } finally {
      nobodys.destroy();
      assertTrue(nobodys.waitFor(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aShellLauncherRunningAsNobody_marksItsJob_andTheMarkKeepsTheClosure() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(isRoot(), "starting a process as another user needs root");
    // the temp directory is 0700: open the way to the cache for nobody
    for (Path p = dir; p != null && p.startsWith(dir.getParent()); p = p.getParent()) {
      Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    layout.create();
    Digest a = digest("a");
    Path script = Files.writeString(dir.resolve("launcher.sh"), String.join("\n",
        "read -r stat < /proc/$$/stat",
        "rest=${stat##*) }",
        "read -ra f <<< \"$rest\"",
        "d=$1/$UID; [ -e \"$d\" ] || [ -L \"$d\" ] || mkdir -m 0755 \"$d\"",
        "[ ! -L \"$d\" ] && [ -d \"$d\" ] && [ -O \"$d\" ] && printf '%s\\n' \"${f[19]}\" > \"$d/$2.$$\"",
        "echo marked",
        "exec sleep 30", ""));
    Process job = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
        "/bin/bash", script.toString(), layout.runningDir().toString(), a.hex()).redirectErrorStream(true).start();
    try {
      String line = new BufferedReader(new InputStreamReader(job.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertEquals("marked", line);
      Path mark = RunningJobs.userDir(layout, NOBODY).resolve(a.hex() + "." + job.pid());
      assertEquals(NOBODY, Files.getAttribute(mark, "unix:uid"));
      assertEquals(Set.of(a), RunningJobs.inUse(layout));
    } finally {
      job.destroy();
      assertTrue(job.waitFor(30, TimeUnit.SECONDS));
    }
    assertEquals(Set.of(), RunningJobs.inUse(layout), "its process is gone");
  }

  @Test
  void parseRealUid_isTheFirstFieldOfTheUidLine() {
    assertEquals(OptionalLong.of(65534), RunningJobs.parseRealUid("Name:\tsleep\nUid:\t65534\t0\t0\t0\nGid:\t1\n"));
    assertEquals(OptionalLong.empty(), RunningJobs.parseRealUid("Name:\tsleep\n"));
  }
}
