package org.closurecache.shim.e2e;

import static org.closurecache.shim.e2e.Site.assertOk;
import static org.closurecache.shim.e2e.Site.assertSameRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.client.running.RunningJobs;
import org.closurecache.client.view.ViewLayout;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingInputStream;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.shim.e2e.Site.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warm launch needs neither a master nor a JVM; a launch that cannot be right stops before the
 * job starts, with exit status 1 and one line saying why and what to do.
 */
class WarmPathAndGuardsIT {
  static final List<String> NAMESPACE = List.of("--mode", "namespace");
  static final String[] PERL = {
      "/usr/bin/perl", "-MPOSIX", "-e", "print floor(7.5), ' ', strftime('%Y', gmtime(0)), \"\\n\""};

  @TempDir static Path shared;
  static Site site;
  static Digest perl;

  @BeforeAll
  static void publish() throws Exception {
    site = Site.start(shared.resolve("master"));
    Path cwd = Files.createDirectories(shared.resolve("publish"));
    perl = site.publish(cwd, Site.PUBLISH_ENV, Site.Capture.TRACED, PERL);
  }

  @AfterAll
  static void stopMaster() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void warmLaunch_withTheMasterStopped_runsFromTheCache_andExecViewStartsNoJvm(@TempDir Path dir)
      throws Exception {
    try (Site own = Site.start(dir.resolve("master"))) {
      Digest d = own.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED, PERL);
      Path cache = dir.resolve("cache");
      Run cold = own.shim(cache, Map.of(), NAMESPACE, d);
      assertOk(cold);
      assertEquals("7 1970\n", cold.out());

      own.stopMaster();
      assertSameRun(cold, own.shim(cache, Map.of(), NAMESPACE, d));

      // A `java` first on PATH that leaves a mark: exec-view must not start one.
      Path bin = Files.createDirectories(dir.resolve("bin"));
      Path mark = dir.resolve("a-jvm-was-started");
      Path java = Files.writeString(bin.resolve("java"), "#!/bin/sh\ntouch " + mark + "\nexit 97\n");
      Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
      Run view = Site.run(List.of(Site.BIN.resolve("exec-view").toString(), Site.viewDir(cache, d).toString()),
          Map.of("PATH", bin + ":" + Site.NODE_ENV.get("PATH")), null);
      assertSameRun(cold, view);
      assertFalse(Files.exists(mark), "exec-view started a JVM");
    }
  }

  @Test
  void notInTheCache_withADeadMaster_failsWithOneClearLine(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();  // closed again: nothing listens there
    }
    String dead = "http://127.0.0.1:" + port;
    Run r = Site.run(Site.shimCommand(dead, site.pub, dir.resolve("cache"), NAMESPACE, perl), Site.NODE_ENV, null);
    assertEquals(1, r.status(), r.err());
    assertEquals("", r.out());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).contains(perl.toString()) && lines.get(0).contains(dead), r.err());
  }

  @Test
  void tamperedView_isRefusedBeforeTheJobStarts_andRebuildMakesItWhole(@TempDir Path dir) throws Exception {
    Path cache = dir.resolve("cache");
    Run first = site.shim(cache, Map.of(), NAMESPACE, perl);
    assertOk(first);
    Manifest m = Site.manifest(cache, perl);
    String entry = m.resolve(m.entry().path()).orElseThrow();
    Path inView = ViewLayout.inside(ViewLayout.rootOf(Site.viewDir(cache, perl)), entry);

    // Another file of the same size, mode and mtime. The view's file is a hard link into the
    // cache: unlink it first, never write through it.
    long size = Files.size(inView);
    FileTime mtime = Files.getLastModifiedTime(inView, LinkOption.NOFOLLOW_LINKS);
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(inView, LinkOption.NOFOLLOW_LINKS);
    Files.delete(inView);
    byte[] other = new byte[Math.toIntExact(size)];
    Arrays.fill(other, (byte) 0x90);
    Files.write(inView, other);
    Files.setPosixFilePermissions(inView, mode);
    Files.setLastModifiedTime(inView, mtime);

    Run refused = site.shim(cache, Map.of(), NAMESPACE, perl);
    assertEquals(1, refused.status(), refused.err());
    assertEquals("", refused.out());
    List<String> lines = refused.err().lines().toList();
    assertEquals(1, lines.size(), refused.err());
    assertTrue(lines.get(0).contains("fails verification") && lines.get(0).contains(entry + " is not a link")
        && lines.get(0).contains("--rebuild"), refused.err());

    assertSameRun(first, site.shim(cache, Map.of(), List.of("--mode", "namespace", "--rebuild"), perl));
    // The cache's own copy was never touched.
    FileEntry f = m.files().get(entry);
    try (var in = Files.newInputStream(CacheLayout.at(cache).objectPath(f.digest()))) {
      assertEquals(f.digest(), DigestingInputStream.hash(in).digest());
    }
  }

  @Test
  void prepare_thenRanksFromExecView_allRunAndMarkTheClosureRunning(@TempDir Path dir) throws Exception {
    Path cache = dir.resolve("cache");
    Run prepared = Site.run(List.of(Site.BIN.resolve("exec-shim").toString(), "prepare", "--master", site.url(),
        "--cache", cache.toString(), "--trust", site.pub.toString(), perl.toString()), Site.node(Map.of()), null);
    assertOk(prepared);
    Path view = Site.viewDir(cache, perl);
    assertEquals(view + "\n", prepared.out(), "prepare prints the view directory and nothing else");
    assertTrue(Files.isDirectory(view.resolve("plan")));

    // four ranks at once, each with its own rank variable passed through by the default patterns
    List<Process> ranks = new java.util.ArrayList<>();
    for (int rank = 0; rank < 4; rank++) {
      ProcessBuilder pb = new ProcessBuilder(Site.BIN.resolve("exec-view").toString(), view.toString(), "--",
          "-e", "sleep 1; print \"$ENV{SLURM_PROCID}\\n\"");
      pb.environment().clear();
      pb.environment().putAll(Site.node(Map.of("SLURM_PROCID", Integer.toString(rank))));
      pb.redirectErrorStream(true);
      ranks.add(pb.start());
    }
    // while they run, each rank's launcher has marked the closure running under its own pid
    Path running = RunningJobs.userDir(CacheLayout.at(cache), ownUid());
    for (Process rank : ranks) {
      Path mark = running.resolve(perl.hex() + "." + rank.pid());
      for (int i = 0; i < 200 && !Files.exists(mark); i++) {
        Thread.sleep(10);
      }
      assertTrue(Files.exists(mark), "no running mark " + mark);
    }
    assertEquals(Set.of(perl), RunningJobs.inUse(CacheLayout.at(cache)));
    for (int rank = 0; rank < 4; rank++) {
      Process p = ranks.get(rank);
      assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(0, p.exitValue());
      assertEquals(rank + "\n", new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }
    assertEquals(Set.of(), RunningJobs.inUse(CacheLayout.at(cache)),
        "every rank ended: the marks are stale");
  }

  @Test
  void aViewRootPrepared_servesAnotherUsersJob_andItsRunningMark(@TempDir Path dir) throws Exception {
    // JUnit's temporary directories are 0700: open the way down for the other user
    for (Path p = dir; p != null && p.startsWith(dir.getParent()); p = p.getParent()) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path cache = dir.resolve("cache");
    assertOk(Site.run(List.of(Site.BIN.resolve("exec-shim").toString(), "prepare", "--master", site.url(),
        "--cache", cache.toString(), "--trust", site.pub.toString(), perl.toString()), Site.node(Map.of()), null));
    Path view = Site.viewDir(cache, perl);
    assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.OTHERS_EXECUTE), Files.getPosixFilePermissions(view), "a view is not a private temp dir");

    // nobody (uid 65534) starts the job from root's cache; it waits for the test to let it end
    Path release = dir.resolve("release");
    Path out = dir.resolve("nobody.out");
    Path err = dir.resolve("nobody.err");
    ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        Site.BIN.resolve("exec-view").toString(), "--cwd", "/tmp", view.toString(), "--", "-e",
        "until (-e $ARGV[0]) { select(undef, undef, undef, 0.01) } print \"$<\\n\"", release.toString());
    pb.environment().clear();
    pb.environment().putAll(Site.node(Map.of()));
    Process asNobody = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      Path mark = RunningJobs.userDir(CacheLayout.at(cache), 65534).resolve(perl.hex() + "." + asNobody.pid());
      for (int i = 0; i < 500 && !Files.exists(mark) && asNobody.isAlive(); i++) {
        Thread.sleep(10);
      }
      assertTrue(Files.exists(mark), "no running mark " + mark + "; stderr: " + Files.readString(err));
      assertEquals(65534, Files.getAttribute(mark, "unix:uid"), "the mark is nobody's own");
      assertEquals(Set.of(perl), RunningJobs.inUse(CacheLayout.at(cache)), "nobody's job keeps the closure");
      Files.writeString(release, "");
      assertTrue(asNobody.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    } finally {
      asNobody.destroyForcibly();
    }
    assertEquals(0, asNobody.exitValue(), Files.readString(err));
    assertEquals("65534\n", Files.readString(out), "the job runs as the user who started it");
    assertEquals("", Files.readString(err), "nobody makes its own running/65534: no warning");
    assertEquals(Set.of(), RunningJobs.inUse(CacheLayout.at(cache)), "the job ended: its mark is stale");
  }

  @Test
  void runningMarks_plantedByAnotherUser_neitherRedirectRootsLauncherNorCount(@TempDir Path dir) throws Exception {
    for (Path p = dir; p != null && p.startsWith(dir.getParent()); p = p.getParent()) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path cache = dir.resolve("cache");
    assertOk(Site.run(List.of(Site.BIN.resolve("exec-shim").toString(), "prepare", "--master", site.url(),
        "--cache", cache.toString(), "--trust", site.pub.toString(), perl.toString()), Site.node(Map.of()), null));
    Path running = CacheLayout.at(cache).runningDir();
    Path victim = Files.writeString(dir.resolve("precious.conf"), "precious\n");
    Path victimDir = Files.createDirectories(dir.resolve("precious.d"));
    // nobody plants, before root's launcher starts (the wrapper knows the pid it will have): a
    // symlink where a shared-directory launcher would write root's mark, and root's own
    // directory name taken by a symlink to a directory of nobody's choice
    String plant = "setpriv --reuid=65534 --regid=65534 --clear-groups ln -s \"$1\" \"$2/$3.$$\" && "
        + "setpriv --reuid=65534 --regid=65534 --clear-groups ln -s \"$4\" \"$2/$5\" && exec \"$6\" \"$7\"";
    Run job = Site.run(List.of("/bin/bash", "-c", plant, "plant", victim.toString(), running.toString(), perl.hex(),
        victimDir.toString(), Long.toString(ownUid()), Site.BIN.resolve("exec-view").toString(),
        Site.viewDir(cache, perl).toString()), Site.node(Map.of()), null);
    assertOk(job);
    assertEquals("7 1970\n", job.out());
    assertEquals("precious\n", Files.readString(victim), "root's launcher wrote through a planted symlink");
    try (var planted = Files.list(victimDir)) {
      assertEquals(List.of(), planted.toList(), "root's launcher wrote into nobody's directory");
    }
    assertTrue(job.err().contains("is not this user's own directory"), job.err());
    assertEquals(Set.of(), RunningJobs.inUse(CacheLayout.at(cache)));
    assertFalse(Files.exists(RunningJobs.userDir(CacheLayout.at(cache), ownUid()), LinkOption.NOFOLLOW_LINKS),
        "gc (root) removed the impostor");
    assertTrue(Files.isDirectory(victimDir), "...and not what it pointed to");
  }

  static long ownUid() throws java.io.IOException {
    return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
  }
}
