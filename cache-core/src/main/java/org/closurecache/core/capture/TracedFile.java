package org.closurecache.core.capture;

/**
 * A path the recording run used: {@code requested} is the absolute path the process named
 * (relative names already joined to its working directory), {@code use} what it did with it. A
 * path may be a directory as well as a file; the caller tells them apart.
 */
public record TracedFile(String requested, Use use) {
  /** What the process did with a path. */
  public enum Use {
    /** Opened read-only or looked up ({@code stat}, {@code access}, {@code readlink}). */
    READ,
    /** Passed to {@code execve}. */
    EXECUTED,
    /**
     * Made or changed by the run: opened for writing, created, truncated, the new name of a
     * rename or link, a directory it made. Its own output, not part of the program.
     */
    WRITTEN
  }

  public TracedFile {
    if (requested == null || use == null) {
      throw new IllegalArgumentException("requested path and use must not be null");
    }
  }

  public static TracedFile read(String path) {
    return new TracedFile(path, Use.READ);
  }

  public static TracedFile executed(String path) {
    return new TracedFile(path, Use.EXECUTED);
  }

  public static TracedFile written(String path) {
    return new TracedFile(path, Use.WRITTEN);
  }
}
