package org.closurecache.store.index;

import java.io.IOException;
import java.nio.file.Path;

/** The index database is held by another open instance, in this process or another one. */
public final class IndexLockedException extends IOException {
  private final Path indexDir;

  public IndexLockedException(String what, Path indexDir, String hint, Throwable cause) {
    super(what + " " + indexDir + " is locked by another open instance: " + hint, cause);
    this.indexDir = indexDir;
  }

  public Path indexDir() {
    return indexDir;
  }
}
