package org.closurecache.client.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViewVerifierTest {
  private static final String TOOL = "/usr/bin/tool";
  private static final String LIB = "/usr/lib/x86_64-linux-gnu/libx.so.1";
  private static final String SCRIPT = "/usr/share/tool/hook.py";
  /** A directory the job only looked at: it holds no recorded file. */
  private static final String LOOKED_AT = "/usr/lib/tool/plugins";

  @TempDir Path cacheRoot;
  TestCache cache;
  Manifest manifest;
  Path view;
  ViewVerifier verifier;

  @BeforeEach
  void buildView() throws IOException {
    cache = new TestCache(cacheRoot);
    manifest = TestCache.manifest()
        .file(TOOL, cache.file("the tool's bytes", 0755, TestCache.OBJECT_MTIME))  // a variant (0555)
        .file(LIB, cache.file("the library's bytes"))                              // the object itself
        .file(SCRIPT, cache.file("print('hook')\n", 0644, 1_700_000_000L))          // a variant (mtime)
        .symlink("/lib", "usr/lib")
        .symlink("/usr/lib/x86_64-linux-gnu/libx.so", "libx.so.1")
        .directory(LOOKED_AT)
        .entry(TOOL)
        .build();
    view = new ViewBuilder(cache.views).build(ManifestCodec.digest(manifest), manifest, (root, plan) -> {}).dir();
    verifier = new ViewVerifier(cache.views);
  }

  private Path at(String path) {
    return ViewLayout.inside(ViewLayout.rootOf(view), path);
  }

  private ViewVerifier.Report check() throws IOException {
    return verifier.check(view, manifest);
  }

  private static void assertReports(ViewVerifier.Report report, String path, String what) {
    assertFalse(report.ok(), "the tampering went unnoticed");
    assertEquals(1, report.problems().size(), report.toString());
    assertTrue(report.problems().get(0).startsWith(path + " "), report.toString());
    assertTrue(report.problems().get(0).contains(what), report.toString());
  }

  /** Overwrites a read-only file in place (same inode), keeping its mode and mtime. */
  private static void overwriteInPlace(Path p, String content) throws IOException {
    int mode = TestCache.mode(p);
    FileTime mtime = Files.getLastModifiedTime(p);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(p, content);
    Files.setPosixFilePermissions(p, ViewBuilder.Presentation.permissions(mode));
    Files.setLastModifiedTime(p, mtime);
  }

  @Test
  void aSoundView_passesBothChecks() throws IOException {
    assertTrue(check().ok(), check().toString());
    assertTrue(verifier.checkContent(view, manifest).ok());
    assertEquals("", check().toString());
  }

  @Test
  void check_whenAFileIsReplacedByAnotherOfTheSameSizeModeAndMtime_reportsItIsNotTheObject() throws IOException {
    Path lib = at(LIB);
    int mode = TestCache.mode(lib);
    FileTime mtime = Files.getLastModifiedTime(lib);
    Files.delete(lib);
    Files.writeString(lib, "the library's BYTES");  // same length
    Files.setPosixFilePermissions(lib, ViewBuilder.Presentation.permissions(mode));
    Files.setLastModifiedTime(lib, mtime);

    assertReports(check(), LIB, "is not a link to cache object");
  }

  @Test
  void check_whenAFileIsReplacedByAPlainNewFile_reportsIt() throws IOException {
    Files.delete(at(SCRIPT));
    Files.writeString(at(SCRIPT), "print('evil')\n");  // same length, the umask's mode, now as mtime

    assertReports(check(), SCRIPT, "shows mode");
  }

  @Test
  void check_whenAFileOfOtherSizeIsPutInPlace_reportsTheSize() throws IOException {
    Files.delete(at(TOOL));
    Files.writeString(at(TOOL), "x");

    assertReports(check(), TOOL, "has 1 bytes");
  }

  @Test
  void check_whenAFilesModeChanges_reportsTheMode() throws IOException {
    Files.setPosixFilePermissions(at(TOOL), PosixFilePermissions.fromString("rwxr-xr-x"));

    assertReports(check(), TOOL, "shows mode 0755 mtime " + TestCache.OBJECT_MTIME + ", not 0555");
  }

  @Test
  void check_whenAFilesMtimeChanges_reportsIt() throws IOException {
    Files.setLastModifiedTime(at(SCRIPT), FileTime.fromMillis(1_700_000_999_000L));

    assertReports(check(), SCRIPT, "mtime 1700000999, not 0444 mtime 1700000000");
  }

  @Test
  void check_whenAFileIsDeleted_reportsItMissing() throws IOException {
    Files.delete(at(LIB));

    assertReports(check(), LIB, "is missing");
  }

  @Test
  void check_whenASymlinkIsRetargeted_reportsBothTargets() throws IOException {
    Files.delete(at("/lib"));
    Files.createSymbolicLink(at("/lib"), Path.of("/usr/lib"));

    assertReports(check(), "/lib", "points to /usr/lib, not usr/lib");
  }

  @Test
  void check_whenASymlinkIsReplacedByAFile_reportsIt() throws IOException {
    Files.delete(at("/usr/lib/x86_64-linux-gnu/libx.so"));
    Files.createLink(at("/usr/lib/x86_64-linux-gnu/libx.so"), at(LIB));

    assertReports(check(), "/usr/lib/x86_64-linux-gnu/libx.so", "is not a symlink");
  }

  @Test
  void check_whenAFileIsReplacedByASymlinkEvenToItsOwnObject_reportsIt() throws IOException {
    Files.delete(at(LIB));
    Files.createSymbolicLink(at(LIB), cache.layout.objectPath(manifest.files().get(LIB).digest()));

    assertReports(check(), LIB, "is not a regular file");
  }

  @Test
  void check_whenAFileIsReplacedByADirectory_reportsIt() throws IOException {
    Files.delete(at(SCRIPT));
    Files.createDirectory(at(SCRIPT));

    assertReports(check(), SCRIPT, "is not a regular file");
  }

  @Test
  void checkContent_whenAnObjectIsCorruptedInPlace_reportsTheHashAndFsck() throws IOException {
    overwriteInPlace(cache.layout.objectPath(manifest.files().get(LIB).digest()), "the library's BYTES");

    assertTrue(check().ok(), "same inode, size, mode and mtime: only the content tells");
    ViewVerifier.Report report = verifier.checkContent(view, manifest);
    assertReports(report, LIB, "hashes to sha256:");
    assertTrue(report.toString().contains("not " + manifest.files().get(LIB).digest()), report.toString());
    assertTrue(report.toString().contains("fsck"), report.toString());
  }

  @Test
  void checkContent_whenAVariantIsCorruptedInPlace_reportsIt() throws IOException {
    overwriteInPlace(at(TOOL), "the tool's BYTES");

    assertTrue(check().ok());
    assertReports(verifier.checkContent(view, manifest), TOOL, "the cache object is corrupt");
  }

  @Test
  void check_withManyProblems_listsTenAndCountsTheRest() throws IOException {
    TestCache.ManifestSpec spec = TestCache.manifest();
    for (int i = 0; i < 13; i++) {
      spec.file("/data/f" + (char) ('a' + i), cache.file("file " + i));
    }
    Manifest m = spec.build();
    Path v = new ViewBuilder(cache.views).build(ManifestCodec.digest(m), m, (root, plan) -> {}).dir();
    for (String p : m.files().keySet()) {
      Files.delete(ViewLayout.inside(ViewLayout.rootOf(v), p));
    }

    ViewVerifier.Report report = verifier.check(v, m);

    assertEquals(10, report.problems().size());
    assertEquals(3, report.more());
    assertTrue(report.toString().endsWith("; and 3 more"), report.toString());
  }

  @Test
  void check_whenAFileIsAddedToTheView_reportsIt() throws IOException {
    Files.writeString(at("/usr/lib/x86_64-linux-gnu/libextra.so.1"), "planted");
    assertReports(check(), "/usr/lib/x86_64-linux-gnu/libextra.so.1", "does not name");
  }

  @Test
  void check_whenSomethingIsLeftInAMountPoint_reportsIt() throws IOException {
    Files.writeString(at("/tmp/leftover"), "x");
    assertReports(check(), "/tmp/leftover", "does not name");
  }

  @Test
  void check_whenARecordedDirectoryIsRemoved_reportsItMissing() throws IOException {
    Files.delete(at(LOOKED_AT));
    assertReports(check(), LOOKED_AT, "is missing");
  }

  @Test
  void check_whenARecordedDirectoryIsSwappedForASymlinkToADirectory_reportsItOnce(@TempDir Path elsewhere)
      throws IOException {
    Files.delete(at(LOOKED_AT));
    Files.createSymbolicLink(at(LOOKED_AT), elsewhere);
    assertReports(check(), LOOKED_AT, "is not a directory but a symlink");
  }

  @Test
  void check_whenARecordedDirectoryIsReplacedByAFile_reportsItOnce() throws IOException {
    Files.delete(at(LOOKED_AT));
    Files.writeString(at(LOOKED_AT), "x");
    assertReports(check(), LOOKED_AT, "is not a directory but a file");
  }

  @Test
  void check_whenSomethingIsPutInARecordedDirectory_reportsIt() throws IOException {
    Files.writeString(at(LOOKED_AT + "/planted.so"), "x");
    assertReports(check(), LOOKED_AT + "/planted.so", "a file the manifest does not name");
    Files.delete(at(LOOKED_AT + "/planted.so"));
    Files.createDirectory(at(LOOKED_AT + "/sub"));
    assertReports(check(), LOOKED_AT + "/sub", "a directory the manifest does not name");
  }

  @Test
  void check_whenARecordedDirectorysParentIsSwappedForASymlinkToAnEqualTree_reportsTheSwap(
      @TempDir Path elsewhere) throws IOException {
    Files.createDirectories(elsewhere.resolve("tool/plugins"));
    Path dir = at("/usr/lib/tool");
    Files.delete(at(LOOKED_AT));
    Files.delete(dir);
    Files.createSymbolicLink(dir, elsewhere.resolve("tool"));
    assertReports(check(), "/usr/lib/tool", "symlink the manifest does not name");
  }

  @Test
  void check_whenADirectoryIsSwappedForASymlinkToAnEqualTree_reportsTheSwap(@TempDir Path elsewhere)
      throws IOException {
    // An equal tree elsewhere: hard links to the very objects, so every per-path check passes
    // through the symlink; only the walk sees that /usr/share/tool is no longer a directory.
    Path copy = Files.createDirectories(elsewhere.resolve("tool"));
    Files.createLink(copy.resolve("hook.py"), at(SCRIPT));
    Path dir = at("/usr/share/tool");
    Files.delete(at(SCRIPT));
    Files.delete(dir);
    Files.createSymbolicLink(dir, copy);
    assertReports(check(), "/usr/share/tool", "symlink the manifest does not name");
  }
}
