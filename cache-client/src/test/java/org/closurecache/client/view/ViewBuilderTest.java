package org.closurecache.client.view;

import static org.closurecache.client.view.TestCache.OBJECT_MTIME;
import static org.closurecache.client.view.TestCache.inode;
import static org.closurecache.client.view.TestCache.mode;
import static org.closurecache.client.view.TestCache.mtime;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViewBuilderTest {
  @TempDir Path cacheRoot;

  private static final ViewBuilder.PlanWriter MARK_PLAN =
      (root, plan) -> Files.writeString(plan.resolve("format"), "1\n");

  private ViewBuilder.Built build(TestCache cache, Manifest m) throws IOException {
    return new ViewBuilder(cache.views).build(ManifestCodec.digest(m), m, MARK_PLAN);
  }

  private static Path at(ViewBuilder.Built built, String path) {
    return ViewLayout.inside(ViewLayout.rootOf(built.dir()), path);
  }

  private static List<String> leftovers(TestCache cache) throws IOException {
    if (!Files.isDirectory(cache.views.viewsDir())) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(cache.views.viewsDir())) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
    }
  }

  @Test
  void build_linksFilesToTheirObjects_andRecreatesSymlinksAndMountPoints() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    FileEntry tool = cache.file("#!/bin/sh\necho tool\n");
    FileEntry lib = cache.file("not really a library");
    Manifest m = TestCache.manifest()
        .file("/usr/bin/tool", tool)
        .file("/usr/lib/x86_64-linux-gnu/libx.so.1", lib)
        .symlink("/lib", "usr/lib")
        .symlink("/bin", "usr/bin")
        .symlink("/usr/bin/tool-abs", "/usr/bin/tool")
        .symlink("/usr/lib/x86_64-linux-gnu/libx.so", "libx.so.1")
        .entry("/bin/tool")
        .build();

    List<Path> planRoots = new ArrayList<>();
    ViewBuilder.Built built = new ViewBuilder(cache.views).build(ManifestCodec.digest(m), m, (root, plan) -> {
      planRoots.add(root);
      assertTrue(Files.isRegularFile(ViewLayout.inside(root, "/usr/bin/tool")), "plan is written over a whole tree");
      Files.writeString(plan.resolve("format"), "1\n");
    });

    assertFalse(built.reused());
    assertEquals(cache.views.viewDir(ManifestCodec.digest(m)), built.dir());
    assertEquals(2, built.links());
    assertEquals(0, built.variants());
    assertEquals(4, built.symlinks());
    assertEquals(inode(cache.layout.objectPath(tool.digest())), inode(at(built, "/usr/bin/tool")));
    assertEquals(inode(cache.layout.objectPath(lib.digest())), inode(at(built, "/usr/lib/x86_64-linux-gnu/libx.so.1")));
    assertEquals(Path.of("usr/lib"), Files.readSymbolicLink(at(built, "/lib")));
    assertEquals(Path.of("usr/bin"), Files.readSymbolicLink(at(built, "/bin")));
    assertEquals(Path.of("/usr/bin/tool"), Files.readSymbolicLink(at(built, "/usr/bin/tool-abs")));
    assertEquals(Path.of("libx.so.1"), Files.readSymbolicLink(at(built, "/usr/lib/x86_64-linux-gnu/libx.so")));
    for (String mountPoint : List.of("/proc", "/dev", "/tmp")) {
      Path p = at(built, mountPoint);
      assertTrue(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS), mountPoint);
      try (Stream<Path> s = Files.list(p)) {
        assertEquals(0, s.count(), mountPoint + " is empty");
      }
    }
    assertEquals("1\n", Files.readString(ViewLayout.planOf(built.dir()).resolve("format")));
    assertEquals(1, planRoots.size());
    assertFalse(planRoots.get(0).startsWith(built.dir()), "the plan is written before the view is published");
    assertEquals(List.of(), leftovers(cache));
    assertTrue(new ViewVerifier(cache.views).checkContent(built.dir(), m).ok());
  }

  @Test
  void build_createsEachRecordedDirectoryEmptyWithMode0755() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    Manifest m = TestCache.manifest()
        .file("/usr/bin/python3.11", cache.file("python"))
        .file("/usr/lib/python3.11/os.py", cache.file("import abc\n"))
        .symlink("/lib", "usr/lib")
        .directory("/usr/lib/python3.11/lib-dynload")   // beside a recorded file
        .directory("/usr/local/lib/python3.11/dist-packages")  // no recorded parent at all
        .directory("/usr/lib")                          // above keys: there anyway
        .directory("/tmp")                              // a mount point: there anyway
        .build();

    ViewBuilder.Built built = build(cache, m);

    for (String dir : List.of("/usr/lib/python3.11/lib-dynload", "/usr/local/lib/python3.11/dist-packages")) {
      Path p = at(built, dir);
      assertTrue(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS), dir);
      assertEquals(0755, mode(p), dir);
      try (Stream<Path> s = Files.list(p)) {
        assertEquals(0, s.count(), dir + " is empty");
      }
    }
    assertEquals(0755, mode(at(built, "/usr/local/lib")), "parents made like those of files");
    assertTrue(Files.isRegularFile(at(built, "/usr/lib/python3.11/os.py"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(at(built, "/tmp"), LinkOption.NOFOLLOW_LINKS));
    ViewVerifier.Report report = new ViewVerifier(cache.views).check(built.dir(), m);
    assertTrue(report.ok(), report::toString);
  }

  @Test
  void build_makesTheRecordedWorkingDirectory_aMountPointForTheNodesOwn() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    // a script in /home/u/bin run from /home/u/project: without an empty /home/u/project in the
    // view, bubblewrap could not bind the node's directory inside the read-only /home/u
    Manifest m = TestCache.manifest()
        .file("/home/u/bin/run.sh", cache.file("#!/bin/sh\n"))
        .cwd("/home/u/project")
        .build();
    ViewBuilder.Built built = build(cache, m);
    Path cwd = at(built, "/home/u/project");
    assertTrue(Files.isDirectory(cwd, LinkOption.NOFOLLOW_LINKS));
    try (Stream<Path> s = Files.list(cwd)) {
      assertEquals(0, s.count());
    }
    assertTrue(new ViewVerifier(cache.views).check(built.dir(), m).ok());
  }

  @Test
  void workingDirectory_isNotMadeUnderTmpOrTheKernelsMounts_norThroughASymlink() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    FileEntry tool = cache.file("tool");
    for (String cwd : List.of("/", "/tmp/x", "/tmp", "/proc/self", "/dev", "/sys/fs")) {
      Manifest m = TestCache.manifest().file("/usr/bin/tool", tool).cwd(cwd).build();
      assertEquals(java.util.Optional.empty(), ViewBuilder.workingDirectory(m), cwd);
    }
    Manifest underLink = TestCache.manifest().file("/usr/bin/tool", tool).symlink("/w", "/usr")
        .cwd("/w/x").build();
    assertEquals(java.util.Optional.empty(), ViewBuilder.workingDirectory(underLink));
    Manifest atFile = TestCache.manifest().file("/usr/bin/tool", tool).cwd("/usr/bin/tool").build();
    assertEquals(java.util.Optional.empty(), ViewBuilder.workingDirectory(atFile));
    Manifest plain = TestCache.manifest().file("/usr/bin/tool", tool).cwd("/scratch/job").build();
    assertEquals(java.util.Optional.of("/scratch/job"), ViewBuilder.workingDirectory(plain));
  }

  @Test
  void build_whenRecordedModeOrMtimeDiffer_linksAVerifiedVariantWithThoseAttributes() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    String content = "print('same bytes, several presentations')\n";
    FileEntry asObject = cache.file(content, 0644, OBJECT_MTIME);
    FileEntry otherMtime = cache.file(content, 0644, 1_700_000_001L);
    FileEntry anotherMtime = cache.file(content, 0600, 1_700_000_002L);
    FileEntry executable = cache.file(content, 0775, OBJECT_MTIME);
    Manifest m = TestCache.manifest()
        .file("/app/a.py", asObject)
        .file("/app/b.py", otherMtime)
        .file("/app/c.py", anotherMtime)
        .file("/app/run", executable)
        .entry("/app/run")
        .build();

    ViewBuilder.Built built = build(cache, m);

    Digest d = asObject.digest();
    Path object = cache.layout.objectPath(d);
    assertEquals(3, built.variants());
    assertEquals(inode(object), inode(at(built, "/app/a.py")));
    assertEquals(inode(cache.views.variantPath(d, 0444, 1_700_000_001L)), inode(at(built, "/app/b.py")));
    assertEquals(inode(cache.views.variantPath(d, 0444, 1_700_000_002L)), inode(at(built, "/app/c.py")));
    assertEquals(inode(cache.views.variantPath(d, 0555, OBJECT_MTIME)), inode(at(built, "/app/run")));
    Set<Object> inodes = new HashSet<>();
    for (String p : List.of("/app/a.py", "/app/b.py", "/app/c.py", "/app/run")) {
      assertTrue(inodes.add(inode(at(built, p))), p + " has an inode of its own");
      assertArrayEquals(content.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(at(built, p)), p);
      FileEntry f = m.files().get(p);
      assertEquals((f.mode() & 0555) | 0444, mode(at(built, p)), p);
      assertEquals(f.mtime(), mtime(at(built, p)), p);
    }
    assertEquals(0444, mode(at(built, "/app/c.py")), "0600 is shown read-only to all");
    assertEquals(0555, mode(at(built, "/app/run")), "0775 loses its write bits");
    assertEquals(0444, mode(object), "the object itself is untouched");
    assertEquals(OBJECT_MTIME, mtime(object));
    assertTrue(new ViewVerifier(cache.views).checkContent(built.dir(), m).ok());
  }

  @Test
  void build_ofManyFilesNeedingVariants_syncsOncePerBatchNotOncePerFile() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    TestCache.ManifestSpec spec = TestCache.manifest();
    int files = 2 * ViewBuilder.VARIANT_BATCH + 5;
    for (int i = 0; i < files; i++) {
      spec.file(String.format("/data/%02d/%05d", i % 10, i), cache.file("shared " + (i % 7) + "\n", 0644, 1_700_000_000L + i));
    }
    Manifest m = spec.build();

    ViewBuilder.Built built = build(cache, m);

    assertEquals(files, built.variants());
    assertTrue(built.syncs() <= 2 + 3, built.syncs() + " syncs for " + files + " new variants");
    assertTrue(new ViewVerifier(cache.views).checkContent(built.dir(), m).ok());
    for (int i = 0; i < files; i += 97) {
      String p = String.format("/data/%02d/%05d", i % 10, i);
      assertEquals(1_700_000_000L + i, mtime(at(built, p)), p);
      assertEquals(2, Files.getAttribute(at(built, p), "unix:nlink"), p + ": linked by the view and its variant name only");
    }
    try (Stream<Path> s = Files.walk(cache.views.variantsDir())) {
      assertEquals(List.of(), s.filter(f -> f.getFileName().toString().startsWith(".")).toList(), "no temporary left");
    }
  }

  @Test
  void build_whenAVariantExists_reusesItInAnotherView() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    FileEntry script = cache.file("#!/bin/sh\n", 0755, 1_700_000_000L);
    ViewBuilder.Built first = build(cache, TestCache.manifest().file("/opt/one/run", script).build());
    ViewBuilder.Built second = build(cache, TestCache.manifest().file("/opt/two/run", script).build());

    assertEquals(1, first.variants());
    assertEquals(inode(at(first, "/opt/one/run")), inode(at(second, "/opt/two/run")));
  }

  @Test
  void build_secondTime_reusesThePublishedView() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    Manifest m = TestCache.manifest().file("/usr/bin/tool", cache.file("tool")).build();
    ViewBuilder.Built first = build(cache, m);
    Object toolInode = inode(at(first, "/usr/bin/tool"));
    AtomicInteger planWrites = new AtomicInteger();

    ViewBuilder.Built second = new ViewBuilder(cache.views).build(ManifestCodec.digest(m), m,
        (root, plan) -> planWrites.incrementAndGet());

    assertTrue(second.reused());
    assertEquals(first.dir(), second.dir());
    assertEquals(0, planWrites.get(), "a reused view keeps its plan");
    assertEquals(toolInode, inode(at(second, "/usr/bin/tool")));
  }

  @Test
  void build_whenAnObjectIsMissingMidway_leavesNoViewAndNoBuildDirectory() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    Manifest m = TestCache.manifest()
        .file("/a/first", cache.file("present"))
        .file("/b/second", cache.file("present too", 0755, 1_700_000_000L))
        .file("/z/missing", TestCache.absent("never stored"))
        .entry("/a/first")
        .build();

    IOException e = assertThrows(IOException.class, () -> build(cache, m));

    assertTrue(e.toString().contains(cache.layout.objectPath(TestCache.absent("never stored").digest()).toString()),
        e.toString());
    assertFalse(Files.exists(cache.views.viewDir(ManifestCodec.digest(m)), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(), leftovers(cache));
  }

  @Test
  void build_whenThePlanWriterFails_leavesNoViewAndNoBuildDirectory() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    Manifest m = TestCache.manifest().file("/usr/bin/tool", cache.file("tool")).build();

    IOException e = assertThrows(IOException.class, () -> new ViewBuilder(cache.views).build(
        ManifestCodec.digest(m), m, (root, plan) -> {
          throw new IOException("disk full while writing the plan");
        }));

    assertEquals("disk full while writing the plan", e.getMessage());
    assertFalse(Files.exists(cache.views.viewDir(ManifestCodec.digest(m)), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(), leftovers(cache));
  }

  @Test
  void build_whenAnObjectNeedingAVariantIsCorrupt_refusesNamingFsck() throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    FileEntry script = cache.file("#!/bin/sh\necho good\n", 0755, 1_700_000_000L);
    Path object = cache.layout.objectPath(script.digest());
    Files.setPosixFilePermissions(object, PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(object, "#!/bin/sh\necho evil\n");  // same size, other bytes
    Files.setPosixFilePermissions(object, PosixFilePermissions.fromString("r--r--r--"));
    Manifest m = TestCache.manifest().file("/usr/bin/run", script).build();

    IOException e = assertThrows(IOException.class, () -> build(cache, m));

    assertTrue(e.getMessage().contains("fsck"), e.getMessage());
    assertTrue(e.getMessage().contains(object.toString()), e.getMessage());
    assertFalse(Files.exists(cache.views.viewDir(ManifestCodec.digest(m)), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(), leftovers(cache));
    Path variants = cache.views.variantPath(script.digest(), 0555, 1_700_000_000L).getParent();
    try (Stream<Path> s = Files.list(variants)) {
      assertEquals(List.of(), s.toList(), "neither a variant nor its temp file is left");
    }
  }

  @Test
  void build_concurrentlyFromSeveralThreads_allSucceedWithOneSoundView() throws Exception {
    TestCache cache = new TestCache(cacheRoot);
    int threads = 6;
    for (int round = 0; round < 3; round++) {
      TestCache.ManifestSpec spec = TestCache.manifest();
      for (int i = 0; i < 8; i++) {
        // each file needs a variant, so the builders also race to make the same variants
        spec.file("/opt/r" + round + "/f" + i, cache.file("content " + i, 0755, 1_700_000_000L + round));
        spec.file("/opt/r" + round + "/plain" + i, cache.file("plain " + i));
      }
      Manifest m = spec.build();
      Digest digest = ManifestCodec.digest(m);
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<ViewBuilder.Built>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          Callable<ViewBuilder.Built> task = () -> {
            start.await();
            return new ViewBuilder(cache.views).build(digest, m, MARK_PLAN);
          };
          results.add(pool.submit(task));
        }
        start.countDown();
        for (Future<ViewBuilder.Built> f : results) {
          assertEquals(cache.views.viewDir(digest), f.get(60, TimeUnit.SECONDS).dir());
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(List.of(), leftovers(cache), "round " + round);
      ViewVerifier.Report report = new ViewVerifier(cache.views).check(cache.views.viewDir(digest), m);
      assertTrue(report.ok(), "round " + round + ": " + report);
    }
    try (Stream<Path> views = Files.list(cache.views.viewsDir())) {
      assertEquals(3, views.count(), "one view per manifest");
    }
    try (Stream<Path> variants = Files.walk(cache.views.variantsDir())) {
      assertEquals(List.of(), variants.filter(p -> p.getFileName().toString().startsWith(".")).toList());
    }
  }

  @Test
  void presentedMode_clearsWriteBitsAndSetsReadBits() {
    assertEquals(0444, ViewBuilder.presentedMode(0644));
    assertEquals(0555, ViewBuilder.presentedMode(0755));
    assertEquals(0444, ViewBuilder.presentedMode(0));
    assertEquals(0555, ViewBuilder.presentedMode(0777));
    assertEquals(0544, ViewBuilder.presentedMode(0700));
  }

  @Test
  void inside_refusesARelativePath() {
    assertThrows(IllegalArgumentException.class, () -> ViewLayout.inside(cacheRoot, "usr/bin"));
    assertEquals(cacheRoot, ViewLayout.inside(cacheRoot, "/"));
  }
}
