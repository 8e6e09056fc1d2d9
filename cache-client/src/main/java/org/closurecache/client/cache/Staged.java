package org.closurecache.client.cache;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;

/**
 * One staged object: bytes in a temp file under {@link CacheLayout#tmpDir()}, already hashed and
 * matching its digest (see {@link NodeCache#stage}, or build one from a
 * {@link org.closurecache.core.digest.DigestingOutputStream}'s descriptor). Handing it to {@link
 * NodeCache#commit} gives the temp file to the cache, which renames or deletes it.
 *
 * <p>{@code presentation}, if present, is the mode and mtime the object file gets when it is
 * published (see {@link Presentation}); without it the file is 0444 with the mtime of its
 * download. An object already in the cache keeps the attributes it was published with.
 */
public record Staged(Digest digest, Path tempFile, long size, Optional<Presentation> presentation) {
  public Staged {
    if (digest == null || tempFile == null || presentation == null) {
      throw new IllegalArgumentException("digest, tempFile and presentation must not be null");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative, got " + size);
    }
    tempFile = tempFile.toAbsolutePath().normalize();
  }

  /** Without a presentation: published 0444, mtime as downloaded. */
  public Staged(Digest digest, Path tempFile, long size) {
    this(digest, tempFile, size, Optional.empty());
  }

  public Staged withPresentation(Optional<Presentation> p) {
    return new Staged(digest, tempFile, size, p);
  }

  /**
   * The attributes a recorded file had that a hard link to its object shows: views link object
   * files, and a link shares the inode's mode and mtime. The object file gets {@link #fileMode()}
   * (the recorded read and execute bits, never a write bit, always readable) and mtime {@code
   * mtimeSeconds} (Python compares a {@code .pyc} with its source's mtime in whole seconds).
   * Immutable.
   *
   * @param mode the recorded permission bits, {@code 0} to {@code 0777}
   */
  public record Presentation(int mode, long mtimeSeconds) {
    public Presentation {
      if (mode < 0 || mode > FileEntry.MAX_MODE) {
        throw new IllegalArgumentException(
            "mode must be permission bits between 0000 and 0777, got 0" + Integer.toOctalString(mode));
      }
    }

    public static Presentation of(FileEntry f) {
      return new Presentation(f.mode(), f.mtime());
    }

    /**
     * For each object of {@code m}, the presentation of the first file (in path order) with that
     * content; the one an object file gets when a pull of {@code m} fetches it.
     */
    public static Map<Digest, Presentation> byObject(Manifest m) {
      Objects.requireNonNull(m, "manifest");
      Map<Digest, Presentation> out = new HashMap<>();
      m.files().values().forEach(f -> out.putIfAbsent(f.digest(), of(f)));
      return out;
    }

    /** The permission bits of a published object file: {@code (mode & 0555) | 0444}. */
    public int fileMode() {
      return (mode & 0555) | 0444;
    }
  }
}
