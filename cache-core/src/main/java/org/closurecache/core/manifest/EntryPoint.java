package org.closurecache.core.manifest;

import org.closurecache.core.digest.Digest;

/**
 * The executable as it was invoked ({@code /usr/bin/python3}, possibly a symlink) and the digest
 * of the file that path resolves to.
 */
public record EntryPoint(String path, Digest digest) {
  public EntryPoint {
    ManifestPaths.requireNormalAbsolute(path, "entry path");
    if (digest == null) {
      throw new IllegalArgumentException("entry digest must not be null");
    }
  }
}
