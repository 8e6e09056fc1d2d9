package org.closurecache.core.manifest;

import java.util.Optional;
import org.closurecache.core.digest.Digest;

/**
 * One regular file of a closure: its content, size, permission bits, modification time (seconds,
 * kept because Python checks {@code .pyc} files against their source's mtime) and why it is
 * there. Immutable.
 *
 * @param mode permission bits only ({@code 0} to {@code 0777}); set-id and sticky bits are never
 *     carried into a cache
 * @param by for {@link Reason#NEEDED_BY}, the path of the object whose DT_NEEDED pulled this in
 */
public record FileEntry(
    Digest digest, long size, int mode, long mtime, Reason reason, Optional<String> by) {

  public static final int MAX_MODE = 0777;

  public FileEntry {
    if (digest == null || reason == null || by == null) {
      throw new IllegalArgumentException("digest, reason and by must not be null");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative, got " + size);
    }
    if (mode < 0 || mode > MAX_MODE) {
      throw new IllegalArgumentException(
          "mode must be permission bits between 0000 and 0777, got 0" + Integer.toOctalString(mode));
    }
    if ((reason == Reason.NEEDED_BY) != by.isPresent()) {
      throw new IllegalArgumentException(
          "\"by\" is required with reason needed-by and not allowed otherwise (reason "
              + reason.wire() + ")");
    }
    by.ifPresent(p -> ManifestPaths.requireAbsolute(p, "by"));
  }

  public static FileEntry of(Digest digest, long size, int mode, long mtime, Reason reason) {
    return new FileEntry(digest, size, mode, mtime, reason, Optional.empty());
  }

  public static FileEntry neededBy(Digest digest, long size, int mode, long mtime, String by) {
    return new FileEntry(digest, size, mode, mtime, Reason.NEEDED_BY, Optional.of(by));
  }

  /** The mode as four octal digits, the wire form ({@code "0755"}). */
  public String modeString() {
    return String.format("%04o", mode);
  }
}
