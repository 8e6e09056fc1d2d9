package org.closurecache.core.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Reads the interpreter of a {@code #!} script the way Linux's {@code binfmt_script} does: the
 * first 256 bytes (zero-padded), the line up to the first newline, its first word, where words
 * end at a space, a tab or a NUL (a carriage return is part of the name, as the kernel sees it).
 * Without a newline in those bytes the kernel takes the name as truncated, and refuses to run
 * the file, unless a space, tab or NUL ends it within the 256 bytes (so a name of 253 bytes is
 * the longest possible). The kernel loads that
 * interpreter itself, so a trace of the script's run never shows it opened. Only absolute
 * interpreters are answered. Thread-safe (no state).
 */
public final class Shebang {
  /** The kernel's BINPRM_BUF_SIZE (since Linux 5.1). */
  private static final int MAX_LINE = 256;

  private Shebang() {}

  public static Optional<String> interpreter(Path file) throws IOException {
    byte[] buf;
    try (InputStream in = Files.newInputStream(file)) {
      buf = Arrays.copyOf(in.readNBytes(MAX_LINE), MAX_LINE);  // zero-filled like bprm->buf
    }
    if (buf[0] != '#' || buf[1] != '!') {
      return Optional.empty();
    }
    int bufEnd = MAX_LINE - 1;
    int lineEnd = indexOf(buf, (byte) '\n', 0, MAX_LINE);
    if (lineEnd < 0) {
      int start = nextNonSpaceTab(buf, 2, bufEnd + 1);
      // as in binfmt_script.c, both searches include the buffer's last byte
      if (start < 0 || nextTerminator(buf, start, bufEnd + 1) < 0) {
        return Optional.empty();  // all blanks, or a name that runs past the buffer: ENOEXEC
      }
      lineEnd = bufEnd;
    }
    while (lineEnd > 2 && spaceTab(buf[lineEnd - 1])) {
      lineEnd--;
    }
    int name = nextNonSpaceTab(buf, 2, lineEnd);
    if (name < 0) {
      return Optional.empty();
    }
    int nameEnd = nextTerminator(buf, name, lineEnd);
    if (nameEnd < 0) {
      nameEnd = lineEnd;
    }
    if (nameEnd == name) {
      return Optional.empty();  // "#!\0...": no name
    }
    String interpreter = new String(buf, name, nameEnd - name, StandardCharsets.UTF_8);
    return interpreter.startsWith("/") ? Optional.of(interpreter) : Optional.empty();
  }

  private static boolean spaceTab(byte b) {
    return b == ' ' || b == '\t';
  }

  private static int indexOf(byte[] buf, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static int nextNonSpaceTab(byte[] buf, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!spaceTab(buf[i])) {
        return i;
      }
    }
    return -1;
  }

  private static int nextTerminator(byte[] buf, int from, int to) {
    for (int i = from; i < to; i++) {
      if (spaceTab(buf[i]) || buf[i] == 0) {
        return i;
      }
    }
    return -1;
  }
}
