package org.closurecache.shim.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.closurecache.client.view.TestCache;
import org.closurecache.client.view.ViewBuilder;
import org.closurecache.client.view.ViewLayout;
import org.closurecache.client.view.ViewVerifier;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifests and caches made to lure the view builder into writing outside the view. The views are
 * built with the real launch plan ({@link LaunchPlan#write}), which reads the view being built, so
 * these tests live with it rather than with the builder in cache-client.
 */
class ViewBuilderHostileTest {
  @TempDir Path base;
  Path outside;
  TestCache cache;

  @BeforeEach
  void setUp() throws IOException {
    outside = Files.createDirectories(base.resolve("outside"));
    Files.createDirectories(outside.resolve("etc"));
    Files.writeString(outside.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    Files.createDirectories(outside.resolve("usr/lib"));
    Files.writeString(outside.resolve("usr/lib/libz.so.1"), "the node's own library\n");
    cache = new TestCache(base.resolve("cache"));
  }

  /** Every path under {@code dir}, with type, size, mode, mtime, inode and link target; links not followed. */
  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String link = a.isSymbolicLink() ? " -> " + Files.readSymbolicLink(p) : "";
        out.put(dir.relativize(p).toString(), (a.isDirectory() ? "d" : a.isSymbolicLink() ? "l" : "f") + " "
            + a.size() + " " + Integer.toOctalString(TestCache.mode(p)) + " " + a.lastModifiedTime().toMillis() + " "
            + a.fileKey() + link + (a.isRegularFile() ? " " + Digest.of(Files.readAllBytes(p)) : ""));
      }
    }
    return out;
  }

  private ViewBuilder.Built buildWithPlan(Manifest m) throws IOException {
    Digest digest = ManifestCodec.digest(m);
    Path finalRoot = ViewLayout.rootOf(cache.views.viewDir(digest));
    return new ViewBuilder(cache.views).build(digest, m,
        (root, plan) -> LaunchPlan.write(digest, m, cache.layout.root(), root, finalRoot, plan));
  }

  @Test
  void build_whenSymlinksPointOutsideTheView_createsThemAsIsAndNeverFollowsThem() throws IOException {
    // From root/usr/lib, as far up as needed to reach base/outside (views/<hex>/root/usr/lib).
    String up = cache.views.viewsDir().resolve("hex/root/usr/lib").relativize(outside).toString();
    SortedMap<String, String> links = new TreeMap<>(Map.of(
        "/usr/lib/evil", "../../../../../../etc",
        "/usr/lib/evil-abs", "/etc",
        "/usr/lib/libz.so.1", up + "/usr/lib/libz.so.1",
        "/usr/lib/to-outside", up,
        "/opt/outside", outside.toString(),
        "/tmp", outside.toString(),
        "/dev", outside.resolve("created-if-followed").toString(),
        "/proc", "/",
        "/usr/lib/loop", "loop"));
    TestCache.ManifestSpec spec = TestCache.manifest()
        .file("/usr/bin/tool", cache.file("#!/bin/sh\n", 0755, 1_700_000_000L))
        .file("/usr/lib/libreal.so.1", cache.file("a library"))
        .file("/zz/after-the-links", cache.file("after"))
        .entry("/usr/bin/tool");
    links.forEach(spec::symlink);
    Manifest m = spec.build();
    Map<String, String> before = snapshot(outside);
    Set<String> baseBefore = Set.of(base.toFile().list());

    ViewBuilder.Built built = buildWithPlan(m);

    assertEquals(before, snapshot(outside), "nothing outside the view was created or modified");
    assertEquals(baseBefore, Set.of(base.toFile().list()));
    Path root = ViewLayout.rootOf(built.dir());
    for (Map.Entry<String, String> link : links.entrySet()) {
      Path at = ViewLayout.inside(root, link.getKey());
      assertTrue(Files.isSymbolicLink(at), link.getKey());
      assertEquals(link.getValue(), Files.readSymbolicLink(at).toString(), link.getKey());
    }
    // Nothing but the manifest's paths, their parent directories and the mount points is in the tree.
    Set<String> expected = new HashSet<>(Set.of("/", "/proc", "/dev", "/tmp"));
    for (String p : m.files().keySet()) {
      for (String q = p; !q.equals("/"); q = q.substring(0, Math.max(1, q.lastIndexOf('/')))) {
        expected.add(q);
      }
    }
    for (String p : m.symlinks().keySet()) {
      for (String q = p; !q.equals("/"); q = q.substring(0, Math.max(1, q.lastIndexOf('/')))) {
        expected.add(q);
      }
    }
    Set<String> found = new HashSet<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(p -> found.add("/" + root.relativize(p)));
    }
    assertEquals(expected, found);
    assertTrue(new ViewVerifier(cache.views).check(built.dir(), m).ok());
  }

  @Test
  void build_whenTheViewPathIsAPlantedSymlink_refusesWithoutFollowingIt() throws IOException {
    Manifest m = TestCache.manifest().file("/usr/bin/tool", cache.file("tool")).build();
    Path viewDir = cache.views.viewDir(ManifestCodec.digest(m));
    Files.createDirectories(viewDir.getParent());
    Files.createSymbolicLink(viewDir, outside);
    Map<String, String> before = snapshot(outside);

    IOException e = assertThrows(IOException.class, () -> buildWithPlan(m));

    assertTrue(e.getMessage().contains(viewDir.toString()) && e.getMessage().contains("remove it"), e.getMessage());
    assertEquals(before, snapshot(outside));
    assertTrue(Files.isSymbolicLink(viewDir), "the planted link is reported, not removed or followed");
    try (Stream<Path> s = Files.list(viewDir.getParent())) {
      assertEquals(1, s.count(), "no build directory is left");
    }
  }

  @Test
  void build_whenAVariantPathIsAPlantedSymlink_replacesTheLinkAndLeavesItsTargetAlone() throws IOException {
    FileEntry script = cache.file("#!/bin/sh\necho hi\n", 0755, 1_700_000_000L);
    Path variant = cache.views.variantPath(script.digest(), 0555, 1_700_000_000L);
    Files.createDirectories(variant.getParent());
    Path victim = outside.resolve("etc/passwd");
    Files.createSymbolicLink(variant, victim);
    Map<String, String> before = snapshot(outside);
    Manifest m = TestCache.manifest().file("/usr/bin/run", script).build();

    ViewBuilder.Built built = buildWithPlan(m);

    assertEquals(before, snapshot(outside));
    assertTrue(Files.isRegularFile(variant, LinkOption.NOFOLLOW_LINKS));
    assertEquals(TestCache.inode(variant), TestCache.inode(ViewLayout.inside(ViewLayout.rootOf(built.dir()), "/usr/bin/run")));
    assertTrue(new ViewVerifier(cache.views).checkContent(built.dir(), m).ok());
  }

  @Test
  void manifest_withPathsThatCouldEscape_isRejectedBeforeAnyViewBuilderSeesIt() throws IOException {
    FileEntry f = cache.file("x");
    // A sound entry file first, so that each rejection comes from the path under test.
    java.util.function.Supplier<TestCache.ManifestSpec> spec =
        () -> TestCache.manifest().file("/0/ok", f).entry("/0/ok");
    assertRejected(spec.get().file("/usr/../../etc/passwd", f), "not normalised");
    assertRejected(spec.get().file("/usr/lib/..", f), "not normalised");
    assertRejected(spec.get().file("/usr//lib/libz.so", f), "'//'");
    assertRejected(spec.get().file("usr/lib/libz.so", f), "must be absolute");
    assertRejected(spec.get().file("/usr/lib/", f), "must not end with '/'");
    assertRejected(spec.get().symlink("/a/../../x", "/etc"), "not normalised");
    assertRejected(spec.get().symlink("/a", "/etc").file("/a/passwd", f), "/a/passwd lies under /a");
    assertRejected(spec.get().file("/usr/bin/tool", f).symlink("/usr", "/etc"), "lies under /usr");
    assertRejected(spec.get().symlink("/a", "/etc").symlink("/a/b", "c"), "/a/b lies under /a");
    assertRejected(spec.get().symlink("/a", "/etc").directory("/a/ssh"), "directory /a/ssh lies under /a");
    assertRejected(spec.get().directory("/usr/../../etc"), "not normalised");
    assertRejected(spec.get().directory("/0/ok"), "directory /0/ok is also a file");
  }

  private static void assertRejected(TestCache.ManifestSpec spec, String why) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, spec::build);
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }
}
