package org.closurecache.store.objects;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * Where a reconciliation takes the stored-at time of a file that lost its index entry. Every
 * object file was renamed into place when it arrived, and a rename changes the inode's ctime, so
 * {@link #CHANGE_TIME} is close to its arrival on both sides. {@link #MODIFICATION_TIME} is right
 * only where nothing sets a file's mtime after it is written (a node presents the recorded mtime
 * of the published file instead, so it must not use it).
 */
public enum StoredAt {
  CHANGE_TIME,
  MODIFICATION_TIME;

  /** The time for {@code file} with attributes {@code a}, in epoch millis, never negative. */
  public long millis(Path file, BasicFileAttributes a) throws IOException {
    FileTime t = a.lastModifiedTime();
    if (this == CHANGE_TIME) {
      try {
        t = (FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
      } catch (UnsupportedOperationException noCtime) {
        // not a POSIX filesystem view: the mtime is the best there is
      }
    }
    return Math.max(0, t.toMillis());
  }
}
