package org.closurecache.shim.launch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.closurecache.client.view.TestCache;
import org.closurecache.client.view.ViewBuilder;
import org.closurecache.client.view.ViewLayout;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchPlanTest {
  private static final String ENTRY = "/usr/bin/python3.11";
  private static final String LOADER = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
  private static final Path FINAL = Path.of("/final/views/abc/root");

  @TempDir Path cacheRoot;
  TestCache cache;

  @BeforeEach
  void setUp() {
    cache = new TestCache(cacheRoot);
  }

  /** A Debian-style python closure with a second program on /usr/local/bin and node-owned files. */
  private TestCache.ManifestSpec python() throws IOException {
    return TestCache.manifest()
        .file(ENTRY, cache.file("\u007fELF python", 0755, 1_700_000_000L))
        .file(LOADER, cache.file("\u007fELF ld.so", 0755, 1_700_000_000L))
        .file("/usr/lib/x86_64-linux-gnu/libm.so.6", cache.file("libm"))
        .file("/usr/lib/x86_64-linux-gnu/libc.so.6", cache.file("libc"))
        .file("/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", cache.file("libz v3"))
        .file("/opt/app/lib/libapp.so.1", cache.file("libapp"))
        .file("/usr/local/bin/other", cache.file("\u007fELF other", 0755, 1_700_000_000L))
        .file("/etc/passwd", cache.file("root:x:0:0::/root:/bin/sh\n"))
        .file("/etc/closure-cache-test-absent.conf", cache.file("absent on the node"))
        .file("/var/lib/closure-cache-test/data", cache.file("data"))
        .symlink("/lib", "usr/lib")
        .symlink("/bin", "usr/bin")
        .symlink("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        .symlink("/usr/bin/python3", "python3.11")
        .symlink("/usr/local/bin/python3", "other")
        .interpreter("/lib64/ld-linux-x86-64.so.2")
        .library("libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6")
        .library("libz.so.1", "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1")
        .library("libapp.so.1", "/opt/app/lib/libapp.so.1")
        .library("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")
        .library("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2")
        .entry("/usr/bin/python3");
  }

  private String execPath(String argv0, String path) throws IOException {
    TestCache.ManifestSpec spec = python().argv(argv0, "-c", "pass");
    if (path != null) {
      spec.env("PATH", path);
    }
    return LaunchPlan.execPath(spec.build());
  }

  @Test
  void execPath_absoluteArgv0LeadingToTheEntry_isArgv0() throws IOException {
    assertEquals("/usr/bin/python3", execPath("/usr/bin/python3", null));
    assertEquals("/bin/python3", execPath("/bin/python3", null));
    assertEquals(ENTRY, execPath(ENTRY, null));
  }

  @Test
  void execPath_absoluteArgv0LeadingElsewhere_isTheEntryPath() throws IOException {
    assertEquals("/usr/bin/python3", execPath("/usr/local/bin/python3", null));
    assertEquals("/usr/bin/python3", execPath("/usr/bin/not-recorded", null));
  }

  @Test
  void execPath_bareNameFoundFirstOnTheRecordedPathAsTheEntry_isTheBareName() throws IOException {
    assertEquals("python3", execPath("python3", "/usr/bin:/usr/local/bin"));
    assertEquals("python3", execPath("python3", "/nowhere:relative/dir::/bin:/usr/local/bin"));
  }

  @Test
  void execPath_bareNameFoundFirstAsAnotherProgram_isTheEntryPath() throws IOException {
    assertEquals("/usr/bin/python3", execPath("python3", "/usr/local/bin:/usr/bin"));
  }

  @Test
  void execPath_bareNameNotOnThePath_isTheEntryPath() throws IOException {
    assertEquals("/usr/bin/python3", execPath("python3", "/opt/app/bin"));
    assertEquals("/usr/bin/python3", execPath("python3", ""));
  }

  @Test
  void execPath_withARelativePathLeadingElsewhereOrEmptyArgv0_isTheEntryPath() throws IOException {
    // recorded in /: ./python3 and bin/other lead to nothing or to another program
    assertEquals("/usr/bin/python3", execPath("./python3", "/usr/bin"));
    assertEquals("/usr/bin/python3", execPath("usr/local/bin/other", "/usr/bin"));
    assertEquals("/usr/bin/python3", execPath("", "/usr/bin"));
  }

  @Test
  void execPath_relativeArgv0LeadingToTheEntryFromTheRecordedDirectory_isArgv0() throws IOException {
    assertEquals("bin/python3", execPath("bin/python3", "/usr/bin"), "/bin -> usr/bin, then python3 -> python3.11");
    assertEquals("usr/bin/python3.11", execPath("usr/bin/python3.11", null));
    Manifest inBin = python().argv("./python3", "-c", "pass").cwd("/usr/bin").build();
    assertEquals("./python3", LaunchPlan.execPath(inBin));
    Manifest upAndDown = python().argv("../bin/python3", "-c", "pass").cwd("/usr/local").build();
    assertEquals("../bin/python3", LaunchPlan.execPath(upAndDown));
    Manifest script = TestCache.manifest()
        .file("/srv/work/job.py", cache.file("#!/usr/bin/python3\n", 0755, 1_700_000_000L))
        .argv("./job.py").cwd("/srv/work").entry("/srv/work/job.py").build();
    assertEquals("./job.py", LaunchPlan.execPath(script));
  }

  @Test
  void execPath_withoutARecordedPath_searchesWhereExecvpSearchesThen() throws IOException {
    // bwrap runs the program with execvp after --clearenv; with no PATH glibc searches /bin:/usr/bin.
    assertEquals("python3", execPath("python3", null));
    Manifest local = TestCache.manifest()
        .file("/usr/local/bin/tool", cache.file("\u007fELF tool", 0755, 1_700_000_000L))
        .argv("tool")
        .build();
    assertEquals("/usr/local/bin/tool", LaunchPlan.execPath(local));
  }

  private Path buildView(Manifest m) throws IOException {
    Digest d = ManifestCodec.digest(m);
    Path viewDir = cache.views.viewDir(d);
    return new ViewBuilder(cache.views).build(d, m, (root, plan) -> LaunchPlan.write(d, m, cache.layout.root(),
        root, ViewLayout.rootOf(viewDir), plan)).dir();
  }

  @Test
  void write_saysWhetherToDropPwd_andShipsTheExecHelperRunnableByEveryone() throws IOException {
    Path without = ViewLayout.planOf(buildView(python().build()));
    assertEquals("drop\n", Files.readString(without.resolve("pwd")), "the recorded environment has no PWD");
    assertEquals("/usr/bin/python3\n", Files.readString(without.resolve("entry")));
    assertArrayEquals(LaunchPlan.helper(), Files.readAllBytes(without.resolve("exec-helper")));
    assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"),
        Files.getPosixFilePermissions(without.resolve("exec-helper")));
    assertEquals(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"),
        Files.getPosixFilePermissions(without.resolve("argv")));
    Path with = ViewLayout.planOf(buildView(python().env("PWD", "/srv").build()));
    assertEquals("keep\n", Files.readString(with.resolve("pwd")));
  }

  @Test
  void isolatedBinds_bindsEachTopLevelDirectoryOnceAndRecreatesTopLevelSymlinks() throws IOException {
    Path view = buildView(python().build());

    assertEquals(List.of(
        "--symlink", "usr/bin", "/bin",
        "--ro-bind", FINAL + "/etc", "/etc",
        "--symlink", "usr/lib", "/lib",
        "--ro-bind", FINAL + "/lib64", "/lib64",
        "--ro-bind", FINAL + "/opt", "/opt",
        "--ro-bind", FINAL + "/usr", "/usr",
        "--ro-bind", FINAL + "/var", "/var",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"),
        LaunchPlan.isolatedBinds(ViewLayout.rootOf(view), FINAL));
  }

  @Test
  void hostBinds_startsWithTheNodesRootAndLeavesNodeOwnedDirectoriesToTheNode() throws IOException {
    Path view = buildView(python().build());

    List<String> expected = new ArrayList<>(List.of(
        "--dev-bind", "/", "/",
        "--ro-bind", FINAL + "/lib64", "/lib64",
        "--ro-bind", FINAL + "/opt", "/opt",
        "--ro-bind", FINAL + "/usr", "/usr"));
    // a recorded file under a node-owned directory is laid over the node's only where the node has it
    assertTrue(Files.isRegularFile(Path.of("/etc/passwd")));
    assertFalse(Files.exists(Path.of("/etc/closure-cache-test-absent.conf")));
    expected.addAll(List.of("--ro-bind-try", FINAL + "/etc/passwd", "/etc/passwd"));
    assertEquals(expected, LaunchPlan.hostBinds(python().build(), ViewLayout.rootOf(view), FINAL));
  }

  @Test
  void loaderArgs_nameTheViewsLoaderAndTheLibraryDirectoriesInLoadOrderOnce() throws IOException {
    assertEquals(List.of(FINAL + LOADER, "--inhibit-cache", "--library-path",
        FINAL + "/usr/lib/x86_64-linux-gnu:" + FINAL + "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3:"
            + FINAL + "/opt/app/lib"),
        LaunchPlan.loaderArgs(python().build(), FINAL));
  }

  @Test
  void loaderArgs_followRecordedDirectorySymlinksInsideTheView_evenAbsoluteOnes() throws IOException {
    // /lib -> /usr/lib is absolute: <view>/lib/x86_64-linux-gnu would lead to the node's own /usr/lib.
    Manifest m = TestCache.manifest()
        .file(ENTRY, cache.file("\u007fELF python", 0755, 1_700_000_000L))
        .file(LOADER, cache.file("\u007fELF ld.so", 0755, 1_700_000_000L))
        .file("/usr/lib/x86_64-linux-gnu/libc.so.6", cache.file("libc"))
        .symlink("/lib", "/usr/lib")
        .symlink("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        .interpreter("/lib64/ld-linux-x86-64.so.2")
        .library("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6")
        .entry(ENTRY)
        .build();
    assertEquals(List.of(FINAL + LOADER, "--inhibit-cache", "--library-path", FINAL + "/usr/lib/x86_64-linux-gnu"),
        LaunchPlan.loaderArgs(m, FINAL));
  }

  @Test
  void loaderArgs_ofAStaticProgram_areEmpty() throws IOException {
    Manifest staticProgram = TestCache.manifest().file("/usr/bin/busybox", cache.file("\u007fELF static")).build();
    assertEquals(List.of(), LaunchPlan.loaderArgs(staticProgram, FINAL));
  }

  /** The NUL-terminated strings of a plan file; every string, the last included, must be terminated. */
  private static List<String> strings(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    assertTrue(b.length == 0 || b[b.length - 1] == 0, file + " ends with NUL");
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < b.length; i++) {
      if (b[i] == 0) {
        out.add(new String(b, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    return out;
  }

  @Test
  void write_roundTripsArgvAndEnvironmentWithSpacesNewlinesAndUtf8() throws Exception {
    List<String> argv = List.of("python3", "-c", "import sys\nprint(sys.argv)\n", "two  spaces", "", "ünï ✓ 日本");
    Manifest m = python()
        .argv(argv.toArray(String[]::new))
        .env("PATH", "/usr/bin:/bin")
        .env("MULTI", "line one\nline two\n")
        .env("SPACED", "  lead and trail  ")
        .env("UTF", "żółć ✓")
        .env("EMPTY", "")
        .env("EQ", "a=b=c")
        .cwd("/home/a user/dïr")
        .build();
    Path view = buildView(m);
    Path plan = ViewLayout.planOf(view);
    Path root = ViewLayout.rootOf(view);

    assertEquals("1\n", Files.readString(plan.resolve("format")));
    assertEquals(ManifestCodec.digest(m) + "\n", Files.readString(plan.resolve("manifest")));
    assertEquals(cache.layout.root() + "\n", Files.readString(plan.resolve("cache")));
    assertEquals("/home/a user/dïr\n", Files.readString(plan.resolve("cwd"), StandardCharsets.UTF_8));
    assertEquals("python3\n", Files.readString(plan.resolve("exec")));
    assertEquals(argv, strings(plan.resolve("argv")));
    List<String> env = List.of("EMPTY=", "EQ=a=b=c", "MULTI=line one\nline two\n", "PATH=/usr/bin:/bin",
        "SPACED=  lead and trail  ", "UTF=żółć ✓");
    assertEquals(env, strings(plan.resolve("env")));
    List<String> envOptions = List.of("--clearenv", "--setenv", "EMPTY", "", "--setenv", "EQ", "a=b=c",
        "--setenv", "MULTI", "line one\nline two\n", "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "SPACED", "  lead and trail  ", "--setenv", "UTF", "żółć ✓");
    List<String> isolated = new ArrayList<>(LaunchPlan.isolatedBinds(root, root));
    isolated.addAll(envOptions);
    assertEquals(isolated, strings(plan.resolve("isolated.args")));
    List<String> host = new ArrayList<>(LaunchPlan.hostBinds(m, root, root));
    host.addAll(envOptions);
    assertEquals(host, strings(plan.resolve("host.args")));
    assertEquals(LaunchPlan.loaderArgs(m, root), strings(plan.resolve("loader.args")));
    assertEquals(root + ENTRY + "\n", Files.readString(plan.resolve("loader.exe")));

    // The launcher reads these with bash's mapfile -d '': it must get the same strings back.
    Process p = new ProcessBuilder("bash", "-c", "mapfile -d '' -t a < \"$1\"; printf '%s\\0' \"${a[@]}\"", "-",
        plan.resolve("argv").toString()).redirectErrorStream(true).start();
    byte[] echoed = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertArrayEquals(Files.readAllBytes(plan.resolve("argv")), echoed);
  }

  @Test
  void write_ofAScriptEntry_leavesLoaderExeEmpty() throws IOException {
    Manifest m = TestCache.manifest()
        .file("/usr/bin/hello", cache.file("#!/bin/sh\necho hello\n", 0755, 1_700_000_000L))
        .file("/usr/bin/sh", cache.file("\u007fELF sh", 0755, 1_700_000_000L))
        .symlink("/bin", "usr/bin")
        .entry("/usr/bin/hello")
        .build();

    assertEquals("\n", Files.readString(ViewLayout.planOf(buildView(m)).resolve("loader.exe")));
  }

  @Test
  void write_whenASingleLineValueHoldsANewline_refusesAndLeavesNoView() throws IOException {
    Manifest m = python().cwd("/home/u\nevil").build();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> buildView(m));

    assertTrue(e.getMessage().contains("cwd"), e.getMessage());
    assertFalse(Files.exists(cache.views.viewDir(ManifestCodec.digest(m))));
  }
}
