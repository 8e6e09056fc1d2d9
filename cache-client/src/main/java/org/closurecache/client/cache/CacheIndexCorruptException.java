package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The cache's RocksDB index cannot be read. Says which directory to move away: with the index
 * gone, the next open rebuilds object entries from {@code objects/}; manifests, closure marks and
 * tags come back with the next pull (tag rollback protection starts again from what the master
 * serves then).
 */
public final class CacheIndexCorruptException extends IOException {
  private final Path indexDir;

  public CacheIndexCorruptException(Path indexDir, String problem, Throwable cause) {
    super("cache index " + indexDir + " is damaged (" + problem + "); stop every cache-client"
        + " on this node, move the directory away (mv " + indexDir + " " + indexDir
        + ".broken) and run again: objects are re-indexed from the files, manifests and tags"
        + " are fetched again", cause);
    this.indexDir = indexDir;
  }

  public Path indexDir() {
    return indexDir;
  }
}
