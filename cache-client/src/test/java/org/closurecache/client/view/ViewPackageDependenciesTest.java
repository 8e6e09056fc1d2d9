package org.closurecache.client.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The cache's gc and layout use this package, so this package must use nothing else of
 * cache-client (else the packages form a cycle), read from the sources as they are built.
 */
class ViewPackageDependenciesTest {
  private static final Path SOURCES = Path.of("src/main/java/org/closurecache/client/view");
  private static final Pattern CLIENT_IMPORT = Pattern.compile("(?m)^import (static )?(org\\.closurecache\\.client\\.[\\w.]+);");

  @Test
  void viewPackage_importsNothingElseOfCacheClient() throws IOException {
    List<Path> sources;
    try (Stream<Path> s = Files.list(SOURCES)) {
      sources = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    assertTrue(sources.size() >= 5, "the view package's sources are found: " + sources);
    StringBuilder outside = new StringBuilder();
    for (Path source : sources) {
      String text = Files.readString(source);
      Matcher m = CLIENT_IMPORT.matcher(text);
      while (m.find()) {
        if (!m.group(2).startsWith("org.closurecache.client.view.")) {
          outside.append(source.getFileName()).append(" imports ").append(m.group(2)).append('\n');
        }
      }
      // a qualified name in the code is a dependency too
      for (String pkg : List.of("cache", "pull", "master", "running", "cli", "bundle", "publish")) {
        if (text.contains("org.closurecache.client." + pkg + ".")) {
          outside.append(source.getFileName()).append(" names org.closurecache.client.").append(pkg).append('\n');
        }
      }
    }
    assertEquals("", outside.toString());
  }
}
