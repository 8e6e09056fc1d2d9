package org.closurecache.core.capture;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Turns one {@code --include} argument into the files it names: a file; a directory (every file
 * below it, not following symlinked directories); or a glob ({@code *}, {@code ?}, {@code [..]},
 * {@code **} across directories) matched under its longest literal directory. Relative
 * arguments are taken against the capture's working directory. Thread-safe (no state).
 */
final class IncludeExpander {
  private IncludeExpander() {}

  static List<String> expand(String include, String cwd) throws IOException {
    String absolute = include.startsWith("/") ? include : cwd + "/" + include;
    if (!isGlob(absolute)) {
      Path p = Path.of(absolute);
      if (!Files.exists(p)) {
        throw new NoSuchFileException(absolute, null, "--include names nothing that exists");
      }
      return Files.isDirectory(p) ? filesUnder(p, null) : List.of(absolute);
    }
    int firstMeta = firstGlobChar(absolute);
    String base = absolute.substring(0, absolute.lastIndexOf('/', firstMeta));
    Path root = Path.of(base.isEmpty() ? "/" : base);
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + absolute);
    List<String> out = Files.isDirectory(root) ? filesUnder(root, matcher) : List.of();
    if (out.isEmpty()) {
      throw new NoSuchFileException(absolute, null, "--include glob matches no file");
    }
    return out;
  }

  private static List<String> filesUnder(Path dir, PathMatcher matcher) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(p -> Files.isRegularFile(p) || Files.isSymbolicLink(p) && Files.isRegularFile(p))
          .filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .filter(p -> matcher == null || matcher.matches(p))
          .sorted()
          .forEach(p -> out.add(p.toString()));
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
}
