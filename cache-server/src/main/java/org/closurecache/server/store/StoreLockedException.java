package org.closurecache.server.store;

import java.io.IOException;
import java.nio.file.Path;

/** The index database is locked by another open instance, in this process or another one. */
public final class StoreLockedException extends IOException {
  private final Path indexDir;

  public StoreLockedException(Path indexDir, Throwable cause) {
    super(
        "store index "
            + indexDir
            + " is locked by another open instance: a cache-server may already be running on"
            + " this store; stop it or choose another store root",
        cause);
    this.indexDir = indexDir;
  }

  public Path indexDir() {
    return indexDir;
  }
}
