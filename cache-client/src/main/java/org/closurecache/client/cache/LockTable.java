package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Who holds a lock on a file, from the kernel's table ({@code /proc/locks}): lines such as {@code
 * "1: POSIX  ADVISORY  WRITE 4242 fe:00:2154529 0 EOF"} (pid, device major:minor in hex, inode),
 * with {@code "->"} marking a process that waits rather than holds. Names a holder even when it is
 * not a cache-client and never wrote its pid (another user's shared lock). Stateless.
 */
final class LockTable {
  private static final Path PROC_LOCKS = Path.of("/proc/locks");

  private LockTable() {}

  /** The pid of a process other than {@code self} holding any lock on {@code file}, if the table names one. */
  static OptionalLong holder(Path file, long self) {
    String id;
    List<String> lines;
    try {
      long dev = (Long) Files.getAttribute(file, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      long ino = (Long) Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS);
      long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
      long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
      id = String.format(Locale.ROOT, "%02x:%02x:%d", major, minor, ino);
      lines = Files.readAllLines(PROC_LOCKS, StandardCharsets.US_ASCII);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
      return OptionalLong.empty(); // no /proc, or another kind of file system: the caller falls back
    }
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      // "N:" TYPE ADVISORY|MANDATORY READ|WRITE PID DEV:INODE START END
      if (f.length >= 6 && !f[1].equals("->") && f[5].equals(id)) {
        try {
          long pid = Long.parseLong(f[4]);
          if (pid > 0 && pid != self) {
            return OptionalLong.of(pid);
          }
        } catch (NumberFormatException notAPid) {
          // an open file description lock shows -1 or a field we do not know: skip it
        }
      }
    }
    return OptionalLong.empty();
  }
}
