package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.closurecache.client.cache.CacheFixtures.Closure;
import org.closurecache.client.cache.NodeCacheClosureTest.MutableClock;
import org.closurecache.client.view.ViewLayout;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.FileEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gc and views: four closures of two 1,000-byte objects each, used in the order A (oldest), B, C,
 * D; B is pinned, C is in use. Views are built by hand as exec-shim builds them: hard links to the
 * object files at the recorded paths, symlinks to absolute paths outside the cache, a plan.
 */
class NodeCacheGcViewsTest {
  @TempDir Path dir;
  private MutableClock clock;
  private NodeCache cache;
  private CacheLayout layout;
  private ViewLayout views;
  private Closure a, b, c, d;
  private Path outside;
  private Path precious;
  private Path outsideLib;

  @BeforeEach
  void fill() throws IOException {
    long now = System.currentTimeMillis();  // gc ages leftovers by their real mtime
    clock = new MutableClock(now);
    cache = NodeCache.open(dir.resolve("cache"), Waiter.silent(), clock);
    layout = cache.layout();
    views = layout.views();
    outside = Files.createDirectories(dir.resolve("outside"));
    precious = Files.writeString(outside.resolve("precious.txt"), "not the cache's");
    outsideLib = Files.createDirectories(outside.resolve("lib"));
    Files.writeString(outsideLib.resolve("libz.so.1"), "not the cache's either");
    Random random = new Random(11);
    a = add("a", random, now - 4_000);
    b = add("b", random, now - 3_000);
    c = add("c", random, now - 2_000);
    d = add("d", random, now - 1_000);
    clock.now = now;
    cache.pin(b.digest());
    assertEquals(8_000, cache.objectBytes());
  }

  @AfterEach
  void close() {
    cache.close();
  }

  private Closure add(String name, Random random, long usedAt) throws IOException {
    List<Staged> objects = CacheFixtures.stageRandom(layout, random, 2, 1000);
    Closure closure = CacheFixtures.closure(name, objects);
    clock.now = usedAt;
    cache.putManifest(closure.digest(), closure.envelope());
    cache.commit(objects);
    cache.markComplete(closure.digest());
    cache.touch(closure.digest());
    return closure;
  }

  /** The view of {@code c} as exec-shim builds it, in {@code views/<hex>}. */
  private Path view(Closure c) throws IOException {
    return buildView(views.viewDir(c.digest()), c);
  }

  private Path buildView(Path viewDir, Closure c) throws IOException {
    Path root = Files.createDirectories(viewDir.resolve("root"));
    for (Map.Entry<String, FileEntry> e : c.manifest().files().entrySet()) {
      Path at = root.resolve(e.getKey().substring(1));
      Files.createDirectories(at.getParent());
      Files.createLink(at, layout.objectPath(e.getValue().digest()));
    }
    Files.createDirectories(root.resolve("usr"));
    Files.createSymbolicLink(root.resolve("usr/lib"), outsideLib);  // a directory outside the cache
    Files.createSymbolicLink(root.resolve("opt/precious.txt"), precious);
    Path plan = Files.createDirectories(viewDir.resolve("plan"));
    Files.writeString(plan.resolve("args"), "/opt/x/bin/x\0");
    return viewDir;
  }

  private long links(Digest object) throws IOException {
    return ((Number) Files.getAttribute(layout.objectPath(object), "unix:nlink")).longValue();
  }

  private void assertOutsideUntouched() throws IOException {
    assertEquals("not the cache's", Files.readString(precious));
    assertEquals("not the cache's either", Files.readString(outsideLib.resolve("libz.so.1")));
  }

  private List<String> viewsDirNames() throws IOException {
    try (Stream<Path> s = Files.list(views.viewsDir())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void gc_evictingAClosure_removesItsView_freesItsObjects_andNeverFollowsItsSymlinks() throws IOException {
    Path viewA = view(a);
    Path viewB = view(b);
    Path viewC = view(c);
    // a directory its owner cannot write (a builder may leave one so) does not stop the removal
    Files.setPosixFilePermissions(viewA.resolve("root/opt/a/lib"), PosixFilePermissions.fromString("r-xr-xr-x"));
    Digest objectOfA = a.manifest().files().values().iterator().next().digest();
    assertEquals(2, links(objectOfA));

    GcReport r = cache.gc(6_000, Set.of(c.digest()));

    assertEquals(1, r.closuresEvicted(), r.toString());
    assertEquals(2, r.objectsRemoved());
    assertEquals(2_000, r.bytesFreed(), "the view went first, so the objects' last links went: " + r);
    assertEquals(1, r.viewsRemoved());
    assertEquals(6_000, r.bytesAfter());
    assertFalse(Files.exists(viewA, LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(layout.objectPath(objectOfA)));
    assertEquals(List.of(b.digest().hex(), c.digest().hex()), viewsDirNames(), "no trash left behind");
    assertTrue(Files.isRegularFile(viewB.resolve("root/opt/b/bin/b")));
    assertTrue(Files.isRegularFile(viewC.resolve("root/opt/c/bin/c")));
    assertOutsideUntouched();
  }

  @Test
  void gc_neverRemovesTheViewOfAPinnedOrRunningClosure() throws IOException {
    view(b);
    view(c);
    view(d);

    GcReport r = cache.gc(0, Set.of(c.digest()));

    assertEquals(2, r.closuresEvicted(), "A and D");
    assertEquals(1, r.viewsRemoved(), "D's");
    assertEquals(List.of(b.digest().hex(), c.digest().hex()), viewsDirNames());
    for (Closure kept : List.of(b, c)) {
      for (FileEntry f : kept.manifest().files().values()) {
        assertEquals(2, links(f.digest()), "still linked from its view");
      }
    }
    assertOutsideUntouched();
  }

  @Test
  void gc_removesViewsOfManifestsNotCompleteHere_andOldLeftovers_evenUnderTheLimit() throws IOException {
    view(d);
    Digest unknown = Digest.of(new byte[] {7});
    Path viewUnknown = buildView(views.viewDir(unknown), a);
    Closure incomplete = CacheFixtures.closure("e", CacheFixtures.stageRandom(layout, new Random(5), 1, 10));
    cache.putManifest(incomplete.digest(), incomplete.envelope());
    Files.createDirectories(views.viewDir(incomplete.digest()).resolve("root"));
    // a view name that is a symlink to a directory outside: the link goes, not the directory
    Digest hostile = Digest.of(new byte[] {8});
    Files.createSymbolicLink(views.viewDir(hostile), outside);
    Path oldBuild = buildView(views.newBuildDir(a.digest()), a);
    Path freshBuild = buildView(views.newBuildDir(c.digest()), c);
    Path oldTrash = buildView(views.newTrashPath(d.digest()), d);
    FileTime twoHoursAgo = FileTime.fromMillis(clock.millis() - Duration.ofHours(2).toMillis());
    Files.setLastModifiedTime(oldBuild, twoHoursAgo);
    Files.setLastModifiedTime(oldTrash, twoHoursAgo);
    Files.writeString(views.viewsDir().resolve("README"), "someone else's");

    GcReport r = cache.gc(1_000_000, Set.of());

    assertEquals(0, r.closuresEvicted());
    assertEquals(0, r.objectsRemoved());
    assertEquals(5, r.viewsRemoved(), "unknown, incomplete, hostile, old build, old trash: " + r);
    assertFalse(Files.exists(viewUnknown, LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(oldBuild, LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(oldTrash, LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(freshBuild), "a builder may be working in it");
    assertEquals(Set.of(freshBuild.getFileName().toString(), "README", d.digest().hex()), Set.copyOf(viewsDirNames()));
    assertTrue(Files.isDirectory(outside) && Files.isDirectory(outsideLib));
    assertOutsideUntouched();
    assertEquals(8_000, cache.objectBytes());
  }

  @Test
  void gc_removesVariantsNoViewLinks_andKeepsLinkedOnes() throws IOException {
    Path viewB = view(b);
    Path viewA = view(a);
    FileEntry entryOfB = b.manifest().files().get("/opt/b/bin/b");
    FileEntry entryOfA = a.manifest().files().get("/opt/a/bin/a");
    Path linked = variant(entryOfB, 0444, 5L);
    Files.createLink(viewB.resolve("root/opt/b/variant"), linked);
    Path linkedFromAOnly = variant(entryOfA, 0444, 6L);
    Files.createLink(viewA.resolve("root/opt/a/variant"), linkedFromAOnly);
    Path unlinked = variant(entryOfB, 0555, -7L);
    Path inProgress = Files.writeString(unlinked.resolveSibling(".variant-123.tmp"), "being written");

    GcReport r = cache.gc(6_000, Set.of());  // evicts A, and with it its view

    assertEquals(1, r.closuresEvicted());
    assertEquals(2, r.variantsRemoved(), "A's, once its view went, and the one no view linked: " + r);
    assertEquals(2_000 + 2 * 1_000, r.bytesFreed(), "A's objects and the two variants");
    assertTrue(Files.exists(linked));
    assertFalse(Files.exists(linkedFromAOnly));
    assertFalse(Files.exists(unlinked));
    assertTrue(Files.exists(inProgress), "a fresh copy in progress: left to its builder");
  }

  @Test
  void gc_removesAVariantCopyACrashedBuilderLeft_onceItIsOld() throws IOException {
    FileEntry entryOfB = b.manifest().files().get("/opt/b/bin/b");
    Path shard = views.variantPath(entryOfB.digest(), 0444, 5L).getParent();
    Files.createDirectories(shard);
    Path leftover = Files.writeString(shard.resolve(".variant-42.tmp"), "half a copy");
    // its mtime is set to a recorded one while it is made; only its ctime tells its age
    Files.setLastModifiedTime(leftover, FileTime.fromMillis(0));

    cache.gc(1L << 40, Set.of());
    assertTrue(Files.exists(leftover), "as young as its ctime: a builder may be working on it");

    clock.now += Duration.ofHours(2).toMillis();
    GcReport r = cache.gc(1L << 40, Set.of());
    assertFalse(Files.exists(leftover));
    assertEquals(1, r.variantsRemoved(), r.toString());
  }

  @Test
  void gc_ofAnObjectStillLinkedOutsideObjects_doesNotCountItAsFreed() throws IOException {
    Digest objectOfA = a.manifest().files().values().iterator().next().digest();
    Path elsewhere = layout.root().resolve("stray-link");
    Files.createLink(elsewhere, layout.objectPath(objectOfA));

    GcReport r = cache.gc(6_000, Set.of());

    assertEquals(2, r.objectsRemoved());
    assertEquals(1_000, r.bytesFreed(), "one of A's objects keeps its blocks through the stray link");
    assertTrue(String.join("\n", r.keptReasons()).contains("1 removed objects (1000 bytes) are still linked"),
        r.keptReasons().toString());
    assertTrue(Files.exists(elsewhere));
  }

  /** A variant of {@code f}'s object as exec-shim makes one: a copy with other attributes. */
  private Path variant(FileEntry f, int mode, long mtime) throws IOException {
    Path v = views.variantPath(f.digest(), mode, mtime);
    Files.createDirectories(v.getParent());
    Files.copy(layout.objectPath(f.digest()), v);
    Files.setPosixFilePermissions(v, ObjectCommitter.permissions(mode));
    Files.setLastModifiedTime(v, FileTime.fromMillis(mtime * 1000));
    return v;
  }
}
