package org.closurecache.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncludeExpanderTest {
  @TempDir Path tmp;
  String root;

  @BeforeEach
  void tree() throws IOException {
    root = tmp.toRealPath().toString();
    Files.createDirectories(tmp.resolve("data/sub/deeper"));
    Files.createDirectories(tmp.resolve("data/empty"));
    Files.writeString(tmp.resolve("data/a.txt"), "a");
    Files.writeString(tmp.resolve("data/b.cfg"), "b");
    Files.writeString(tmp.resolve("data/sub/c.txt"), "c");
    Files.writeString(tmp.resolve("data/sub/deeper/d.txt"), "d");
    Files.createSymbolicLink(tmp.resolve("data/link-to-a"), Path.of("a.txt"));
    Files.createSymbolicLink(tmp.resolve("data/link-to-dir"), Path.of("/usr/share"));
    Files.createSymbolicLink(tmp.resolve("data/dangling"), Path.of("gone"));
  }

  private List<String> under(String... rel) {
    return Stream.of(rel).map(r -> root + "/" + r).toList();
  }

  @Test
  void file_isItself() throws IOException {
    assertEquals(under("data/a.txt"), IncludeExpander.expand(root + "/data/a.txt", "/"));
  }

  @Test
  void directory_isEveryFileBelowIt_followingFileLinksButNotDirectoryLinks() throws IOException {
    assertEquals(under("data/a.txt", "data/b.cfg", "data/link-to-a", "data/sub/c.txt", "data/sub/deeper/d.txt"),
        IncludeExpander.expand(root + "/data", "/"));
  }

  @Test
  void directoryThatIsASymlink_isEntered() throws IOException {
    Files.createSymbolicLink(tmp.resolve("alias"), Path.of("data/sub"));
    assertEquals(under("alias/c.txt", "alias/deeper/d.txt"), IncludeExpander.expand(root + "/alias", "/"));
    List<String> lib64 = IncludeExpander.expand("/lib64", "/");
    assertTrue(lib64.contains("/lib64/ld-linux-x86-64.so.2"), lib64::toString);
  }

  @Test
  void glob_matchesOneLevelWithStarAndManyWithDoubleStar() throws IOException {
    assertEquals(under("data/a.txt"), IncludeExpander.expand(root + "/data/*.txt", "/"));
    assertEquals(under("data/sub/c.txt", "data/sub/deeper/d.txt"),
        IncludeExpander.expand(root + "/data/**/*.txt", "/"));
    assertEquals(under("data/sub/c.txt"), IncludeExpander.expand(root + "/data/*/?.txt", "/"));
    assertEquals(under("data/a.txt", "data/b.cfg"), IncludeExpander.expand(root + "/data/{a.txt,b.cfg}", "/"));
    assertEquals(under("data/a.txt", "data/b.cfg"), IncludeExpander.expand(root + "/data/[ab].*", "/"));
  }

  @Test
  void glob_realPythonPackage() throws IOException {
    List<String> json = IncludeExpander.expand("/usr/lib/python3.11/json/*.py", "/");
    assertTrue(json.contains("/usr/lib/python3.11/json/decoder.py"), json::toString);
    assertTrue(json.contains("/usr/lib/python3.11/json/__init__.py"), json::toString);
    assertTrue(json.stream().allMatch(p -> p.startsWith("/usr/lib/python3.11/json/") && p.endsWith(".py")
        && p.indexOf('/', "/usr/lib/python3.11/json/".length()) < 0), json::toString);
  }

  @Test
  void glob_underASymlinkedDirectory_matches() throws IOException {
    List<String> loaders = IncludeExpander.expand("/lib64/ld-linux-*.so.2", "/");
    assertEquals(List.of("/lib64/ld-linux-x86-64.so.2"), loaders);
  }

  @Test
  void relativeArguments_areTakenAgainstTheCwd() throws IOException {
    assertEquals(List.of(root + "/data/a.txt"), IncludeExpander.expand("a.txt", root + "/data"));
    assertEquals(List.of(root + "/data/sub/../a.txt"), IncludeExpander.expand("../a.txt", root + "/data/sub"));
    assertEquals(List.of(root + "/data/sub/c.txt"), IncludeExpander.expand("sub/*.txt", root + "/data"));
    assertEquals(List.of(root + "/data/sub/c.txt", root + "/data/sub/deeper/d.txt"),
        IncludeExpander.expand("sub", root + "/data"));
  }

  @Test
  void cwdWithGlobCharacters_isLiteral() throws IOException {
    Path odd = Files.createDirectories(tmp.resolve("we[i]rd*{dir}"));
    Files.writeString(odd.resolve("x.txt"), "x");
    String cwd = odd.toString();
    assertEquals(List.of(cwd + "/x.txt"), IncludeExpander.expand("*.txt", cwd));
    assertEquals(List.of(cwd + "/x.txt"), IncludeExpander.expand("x.txt", cwd));
  }

  @Test
  void existingPathWithGlobCharacters_isTakenLiterally() throws IOException {
    Files.writeString(tmp.resolve("data/file[1].txt"), "1");
    Files.writeString(tmp.resolve("data/file1.txt"), "one");
    assertEquals(under("data/file[1].txt"), IncludeExpander.expand(root + "/data/file[1].txt", "/"));
  }

  @Test
  void missingPath_isNoSuchFileWithAClearMessage() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> IncludeExpander.expand(root + "/data/nope.txt", "/"));
    assertEquals(root + "/data/nope.txt", e.getFile());
    assertTrue(e.getMessage().contains("--include names nothing that exists"), e::getMessage);
    NoSuchFileException rel = assertThrows(NoSuchFileException.class, () -> IncludeExpander.expand("nope", root));
    assertEquals(root + "/nope", rel.getFile());
    assertThrows(NoSuchFileException.class, () -> IncludeExpander.expand(root + "/data/dangling", "/"));
    assertThrows(NoSuchFileException.class, () -> IncludeExpander.expand("", root));
  }

  @Test
  void globMatchingNothing_isNoSuchFile() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> IncludeExpander.expand(root + "/data/*.nothing", "/"));
    assertTrue(e.getMessage().contains("matches no file"), e::getMessage);
    assertThrows(NoSuchFileException.class, () -> IncludeExpander.expand(root + "/nodir/*.txt", "/"));
    assertThrows(NoSuchFileException.class, () -> IncludeExpander.expand(root + "/data/a.txt/*", "/"));
  }

  @Test
  void emptyDirectory_namesNoFiles() throws IOException {
    assertEquals(List.of(), IncludeExpander.expand(root + "/data/empty", "/"));
    assertFalse(IncludeExpander.expand(root + "/data", "/").stream().anyMatch(p -> p.contains("empty")));
  }
}
