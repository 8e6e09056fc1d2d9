package org.closurecache.store.fs;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Deletes trees under a store or cache root (leftovers in {@code tmp/}, views, their build and
 * trash directories) the one safe way: never through a symlink (a view's point at absolute paths
 * outside the cache), never across a mount point. Thread-safe (no state).
 */
public final class FileTrees {
  private static final Set<PosixFilePermission> OWNER_RWX = EnumSet.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

  private FileTrees() {}

  /**
   * Deletes {@code top} and everything under it; a symlink is deleted, never followed, also when
   * it is {@code top}. Refuses to descend into a directory on another filesystem than {@code
   * top}'s parent.
   */
  public static void delete(Path top) throws IOException {
    Object device = Files.getAttribute(top.toAbsolutePath().getParent(), "unix:dev", LinkOption.NOFOLLOW_LINKS);
    Files.walkFileTree(top, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        requireSameFileSystem(dir, device);
        makeOwnerWritable(dir);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);  // a symlink's attributes are its own here: the link goes, not its target
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        if (e instanceof AccessDeniedException && Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
          // a directory its owner cannot read: open it up, then delete it on its own
          requireSameFileSystem(file, device);
          makeOwnerWritable(file);
          delete(file);
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static void requireSameFileSystem(Path dir, Object device) throws IOException {
    if (!device.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
      throw new IOException(dir + " is on another filesystem (a mount point?); not deleting anything in it");
    }
  }

  private static void makeOwnerWritable(Path dir) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    if (!perms.containsAll(OWNER_RWX)) {
      perms.addAll(OWNER_RWX);
      Files.setPosixFilePermissions(dir, perms);
    }
  }
}
