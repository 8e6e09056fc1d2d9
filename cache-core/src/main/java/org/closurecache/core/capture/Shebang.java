package org.closurecache.core.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads the interpreter of a {@code #!} script the way the kernel does: the first line, up to
 * 256 bytes, its first word. The kernel loads that interpreter itself, so a trace of the script's
 * run never shows it opened. Thread-safe (no state).
 */
final class Shebang {
  private static final int MAX_LINE = 256;

  private Shebang() {}

  static Optional<String> interpreter(Path file) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(MAX_LINE);
    }
    if (head.length < 3 || head[0] != '#' || head[1] != '!') {
      return Optional.empty();
    }
    String line = new String(head, 2, head.length - 2, StandardCharsets.UTF_8);
    int nl = line.indexOf('\n');
    String words = (nl >= 0 ? line.substring(0, nl) : line).strip();
    if (words.isEmpty()) {
      return Optional.empty();
    }
    String first = words.split("[ \t]+", 2)[0];
    return first.startsWith("/") ? Optional.of(first) : Optional.empty();
  }
}
