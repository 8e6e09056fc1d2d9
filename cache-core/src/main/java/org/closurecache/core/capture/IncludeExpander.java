package org.closurecache.core.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns one {@code --include} argument into the files it names: a file; a directory (every file
 * below it, not following symlinked directories below it; the directory itself may be a
 * symlink); or a glob ({@code *}, {@code ?}, {@code [..]}, {@code {a,b}}, {@code **} across
 * directories) matched under its longest literal directory. A path that exists is taken as it
 * stands even when it contains glob characters. Relative arguments are taken against the
 * capture's working directory, whose name is never read as a glob. Thread-safe (no state).
 */
final class IncludeExpander {
  private IncludeExpander() {}

  static List<String> expand(String include, String cwd) throws IOException {
    if (include.isEmpty()) {
      throw new NoSuchFileException("", null, "--include names nothing (empty argument)");
    }
    boolean relative = !include.startsWith("/");
    String absolute = relative ? cwd + "/" + include : include;
    Path literal = Path.of(absolute);
    if (Files.exists(literal) || !isGlob(include)) {
      if (!Files.exists(literal)) {
        throw new NoSuchFileException(absolute, null, "--include names nothing that exists");
      }
      return Files.isDirectory(literal) ? filesUnder(literal, null, Integer.MAX_VALUE) : List.of(absolute);
    }
    // Only the argument's own characters are glob syntax; the cwd is literal.
    int prefix = relative ? cwd.length() + 1 : 0;
    int firstMeta = prefix + firstGlobChar(include);
    int baseEnd = absolute.lastIndexOf('/', firstMeta);
    String base = absolute.substring(0, baseEnd);
    String pattern = escapeGlob(absolute.substring(0, prefix)) + absolute.substring(prefix);
    Path root = Path.of(base.isEmpty() ? "/" : base);
    String rest = absolute.substring(baseEnd);
    // without "**" a glob cannot match deeper than its slashes reach: walk no further
    int depth = rest.contains("**") ? Integer.MAX_VALUE : (int) rest.chars().filter(c -> c == '/').count();
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
    List<String> out = Files.isDirectory(root) ? filesUnder(root, matcher, depth) : List.of();
    if (out.isEmpty()) {
      throw new NoSuchFileException(absolute, null, "--include glob matches no file");
    }
    return out;
  }

  /**
   * Regular files (or symlinks to them) under {@code dir}, named as under {@code dir} even when
   * {@code dir} itself is a symlink (Files.walk would not enter it).
   */
  private static List<String> filesUnder(Path dir, PathMatcher matcher, int maxDepth) throws IOException {
    Path start = Files.isSymbolicLink(dir) ? dir.toRealPath() : dir;
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(start, maxDepth)) {
      s.filter(Files::isRegularFile)
          .map(p -> dir.resolve(start.relativize(p)))
          .filter(p -> matcher == null || matcher.matches(p))
          .sorted()
          .forEach(p -> out.add(p.toString()));
    } catch (UncheckedIOException e) {
      throw new IOException("cannot list " + dir + " for --include: " + e.getCause().getMessage(), e.getCause());
    }
    return out;
  }

  private static boolean isGlob(String s) {
    return firstGlobChar(s) >= 0;
  }

  private static int firstGlobChar(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == '{') {
        return i;
      }
    }
    return -1;
  }

  private static String escapeGlob(String literal) {
    StringBuilder out = new StringBuilder();
    for (char c : literal.toCharArray()) {
      if ("*?[]{}\\".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }
}
