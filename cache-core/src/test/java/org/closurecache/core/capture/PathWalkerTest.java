package org.closurecache.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link PathWalker} on real symlinks in a temporary directory, checked against the kernel's toRealPath. */
class PathWalkerTest {
  @TempDir Path tmp;
  String root;

  @BeforeEach
  void realRoot() throws IOException {
    root = tmp.toRealPath().toString();
    Files.createDirectories(tmp.resolve("real/sub"));
    Files.writeString(tmp.resolve("real/sub/file"), "x");
    Files.writeString(tmp.resolve("real/top"), "y");
  }

  private PathWalker.Walk walk(String rel) throws IOException {
    return new PathWalker().walk(root + "/" + rel);
  }

  private void assertAgreesWithKernel(String rel, PathWalker.Walk w) throws IOException {
    assertEquals(Path.of(root + "/" + rel).toRealPath().toString(), w.realPath());
  }

  @Test
  void walk_plainPath_hasNoLinksAndNormalises() throws IOException {
    PathWalker.Walk w = walk("real//sub/./file");
    assertEquals(root + "/real/sub/file", w.realPath());
    assertEquals(List.of(), w.links());
  }

  @Test
  void walk_relativeAndAbsoluteFileLinks_areFollowedAndReported() throws IOException {
    Files.createSymbolicLink(tmp.resolve("rel"), Path.of("real/sub/file"));
    Files.createSymbolicLink(tmp.resolve("abs"), Path.of(root + "/rel"));
    PathWalker.Walk w = walk("abs");
    assertAgreesWithKernel("abs", w);
    assertEquals(List.of(new PathWalker.Link(root + "/abs", root + "/rel"),
        new PathWalker.Link(root + "/rel", "real/sub/file")), w.links());
  }

  @Test
  void walk_directoryLinkMidPath_isReportedAtItsOwnLocation() throws IOException {
    Files.createSymbolicLink(tmp.resolve("real/lnk"), Path.of("sub"));
    Files.createSymbolicLink(tmp.resolve("d"), Path.of("real/lnk"));
    PathWalker.Walk w = walk("d/file");
    assertEquals(root + "/real/sub/file", w.realPath());
    assertEquals(List.of(new PathWalker.Link(root + "/d", "real/lnk"),
        new PathWalker.Link(root + "/real/lnk", "sub")), w.links());
  }

  @Test
  void walk_linkUnderASymlinkedDirectory_isReportedAtTheResolvedLocation() throws IOException {
    Files.createSymbolicLink(tmp.resolve("alias"), Path.of("real"));
    Files.createSymbolicLink(tmp.resolve("real/f2"), Path.of("top"));
    PathWalker.Walk w = walk("alias/f2");
    assertEquals(root + "/real/top", w.realPath());
    // no link path contains another link
    assertEquals(List.of(new PathWalker.Link(root + "/alias", "real"),
        new PathWalker.Link(root + "/real/f2", "top")), w.links());
  }

  @Test
  void walk_dotDotAfterSymlinkedDirectory_goesToThePhysicalParent() throws IOException {
    Files.createDirectories(tmp.resolve("other"));
    Files.writeString(tmp.resolve("other/top"), "other");
    Files.createSymbolicLink(tmp.resolve("other/jump"), Path.of(root + "/real/sub"));
    PathWalker.Walk w = walk("other/jump/../top");
    assertEquals(root + "/real/top", w.realPath(), "lexically it would be other/top");
    assertAgreesWithKernel("other/jump/../top", w);
  }

  @Test
  void walk_dotDotAboveRoot_staysAtRoot() throws IOException {
    assertEquals("/etc/passwd", new PathWalker().walk("/../../etc/../etc/passwd").realPath());
    assertEquals("/", new PathWalker().walk("/..").realPath());
    assertEquals("/", new PathWalker().walk("/").realPath());
  }

  @Test
  @Timeout(5)
  void walk_symlinkLoop_failsBounded() throws IOException {
    Files.createSymbolicLink(tmp.resolve("a"), Path.of("b"));
    Files.createSymbolicLink(tmp.resolve("b"), Path.of("a"));
    Files.createSymbolicLink(tmp.resolve("self"), Path.of("self/x"));
    for (String p : List.of("a", "self", "a/x")) {
      FileSystemException e = assertThrows(FileSystemException.class, () -> walk(p));
      assertTrue(e.getMessage().contains("symlinks"), e::getMessage);
    }
  }

  @Test
  void walk_fortyLinksAreFineAndFortyOneAreNot() throws IOException {
    Files.createSymbolicLink(tmp.resolve("l0"), Path.of("real/top"));
    for (int i = 1; i <= 40; i++) {
      Files.createSymbolicLink(tmp.resolve("l" + i), Path.of("l" + (i - 1)));
    }
    assertEquals(root + "/real/top", walk("l39").realPath());
    assertThrows(FileSystemException.class, () -> walk("l40"));
    assertThrows(FileSystemException.class, () -> Path.of(root + "/l40").toRealPath(), "the kernel agrees");
  }

  @Test
  void walk_missingComponent_isNoSuchFile() throws IOException {
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> walk("real/nope/file"));
    assertEquals(root + "/real/nope", e.getFile());
    Files.createSymbolicLink(tmp.resolve("dangling"), Path.of("gone"));
    assertThrows(NoSuchFileException.class, () -> walk("dangling"));
  }

  @Test
  void walk_throughARegularFile_isNotADirectory() throws IOException {
    FileSystemException e = assertThrows(FileSystemException.class, () -> walk("real/top/x"));
    assertTrue(e.getMessage().contains("not a directory"), e::getMessage);
    assertThrows(FileSystemException.class, () -> walk("real/top/../top"));
    assertThrows(FileSystemException.class, () -> Path.of(root + "/real/top/../top").toRealPath(), "the kernel agrees");
  }

  @Test
  void walk_relativePath_isRejected() {
    assertInstanceOf(IllegalArgumentException.class,
        assertThrows(RuntimeException.class, () -> new PathWalker().walk("usr/bin")));
  }

  @Test
  void walk_systemLoader_recordsTheWholeChain() throws IOException {
    String loader = "/lib64/ld-linux-x86-64.so.2";
    PathWalker.Walk w = new PathWalker().walk(loader);
    assertEquals(Path.of(loader).toRealPath().toString(), w.realPath());
    for (PathWalker.Link l : w.links()) {
      assertTrue(Files.isSymbolicLink(Path.of(l.path())), l::toString);
      assertEquals(Path.of(l.path()).toRealPath().getParent() == null ? null : l.path(),
          Path.of(l.path()).getParent().toRealPath().resolve(Path.of(l.path()).getFileName()).toString(),
          "link reported at a location without symlinks above it");
      assertEquals(Files.readSymbolicLink(Path.of(l.path())).toString(), l.target());
    }
  }
}
