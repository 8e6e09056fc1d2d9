package org.closurecache.client.cache;

import java.nio.file.Path;
import org.closurecache.core.digest.Digest;

/**
 * One staged object: bytes in a temp file under {@link CacheLayout#tmpDir()}, already hashed and
 * matching its digest (see {@link NodeCache#stage}, or build one from a
 * {@link org.closurecache.core.digest.DigestingOutputStream}'s descriptor). Handing it to {@link
 * NodeCache#commit} gives the temp file to the cache, which renames or deletes it.
 */
public record Staged(Digest digest, Path tempFile, long size) {
  public Staged {
    if (digest == null || tempFile == null) {
      throw new IllegalArgumentException("digest and tempFile must not be null");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative, got " + size);
    }
    tempFile = tempFile.toAbsolutePath().normalize();
  }
}
