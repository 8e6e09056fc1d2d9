package org.closurecache.store.index;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The index database cannot be read: RocksDB reports corruption, or an entry does not decode.
 * The message names the directory and what to do ({@link IndexSpec#repairAdvice}): the index is
 * derived from the files beside it and can be rebuilt from them.
 */
public final class IndexCorruptException extends IOException {
  private final Path indexDir;
  private final String problem;

  public IndexCorruptException(String what, Path indexDir, String problem, String advice, Throwable cause) {
    super(what + " " + indexDir + " is damaged (" + problem + "); " + advice, cause);
    this.indexDir = indexDir;
    this.problem = problem;
  }

  public Path indexDir() {
    return indexDir;
  }

  /** What was found damaged, without the advice. */
  public String problem() {
    return problem;
  }
}
