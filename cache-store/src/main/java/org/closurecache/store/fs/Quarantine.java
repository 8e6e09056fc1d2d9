package org.closurecache.store.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Moves files that do not belong where they were found (a corrupt object, a stray file in
 * {@code objects/}) into a quarantine directory at the same relative path, never overwriting
 * (a second one gets {@code .1}, {@code .2}, …, and so does a directory of that path that an earlier
 * stray file took) and never deleting: an operator may want to look.
 * The quarantine directory is created on first use with mode 0700. Not thread-safe (it counts).
 */
public final class Quarantine {
  private final Path from;
  private final Path quarantineDir;
  private int moved;

  /** Moves files found under {@code from} to the same relative paths under {@code quarantineDir}. */
  public Quarantine(Path from, Path quarantineDir) {
    this.from = from;
    this.quarantineDir = quarantineDir;
  }

  /** Moves {@code p} (a file, link or directory under {@code from}); returns where it went. */
  public Path move(Path p) throws IOException {
    Path relative = from.relativize(p);
    // A directory of the path may be taken by an earlier stray file (objects/ab was a file once):
    // that one gets the next free suffix too, or every later move, and so every open, would fail.
    Path dir = quarantineDir;
    for (int i = 0; i < relative.getNameCount() - 1; i++) {
      String name = relative.getName(i).toString();
      Path next = dir.resolve(name);
      for (int n = 1; Files.exists(next, LinkOption.NOFOLLOW_LINKS)
          && !Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS); n++) {
        next = dir.resolve(name + "." + n);
      }
      dir = next;
    }
    String name = relative.getFileName().toString();
    Path target = dir.resolve(name);
    for (int n = 1; Files.exists(target, LinkOption.NOFOLLOW_LINKS); n++) {
      target = dir.resolve(name + "." + n);
    }
    if (!Files.isDirectory(quarantineDir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(quarantineDir);
      Files.setAttribute(quarantineDir, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
    }
    Files.createDirectories(target.getParent());
    Files.move(p, target);
    moved++;
    return target;
  }

  /** How many files {@link #move} moved. */
  public int moved() {
    return moved;
  }
}
