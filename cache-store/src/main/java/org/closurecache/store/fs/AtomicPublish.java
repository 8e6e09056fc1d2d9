package org.closurecache.store.fs;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The one way a file gets its final name in a store or cache: written under a temporary name in
 * a directory of the same filesystem, synced (data and inode, so its mode is durable too), renamed
 * atomically, and the directory that received the name synced. A reader therefore sees the whole
 * file or no file, also after a crash or a power loss at any point.
 *
 * <p>Two shapes: {@link #write} makes a whole small file (a manifest, a tag, a marker) from bytes
 * or a writer callback; {@link #move} and {@link #publish} give a temp file the caller already
 * wrote, verified and synced (an object) its content-addressed name, where an existing target is
 * success: its name proves its content.
 *
 * <p>On any failure before the rename the temp file is deleted and the error of deleting it, if
 * any, is added as suppressed. Stateless and thread-safe; concurrent publications of the same
 * name are safe (one wins, the others find it there).
 */
public final class AtomicPublish {
  /** What {@link #move} or {@link #publish} did. */
  public enum Outcome {
    CREATED,
    ALREADY_PRESENT
  }

  /** Writes a file's content into an open stream; may throw. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");

  private AtomicPublish() {}

  /**
   * Writes {@code content} to {@code target} durably and atomically: a temp file in {@code
   * tempDir} (same filesystem as {@code target}), fsync, mode {@code 0444}, rename, fsync of the
   * target's directory (created if missing, its parent synced then too).
   *
   * @param replace whether an existing target is replaced; if not, an existing target is left as
   *     it is and {@link Outcome#ALREADY_PRESENT} returned (for content-addressed names)
   */
  public static Outcome write(Path target, Path tempDir, boolean replace, Content content) throws IOException {
    return write(target, tempDir, replace, READ_ONLY, content);
  }

  /**
   * As {@link #write(Path, Path, boolean, Content)}, giving the file {@code mode} instead of 0444.
   * The callback may close the stream it is given (a tar or gzip stream over it does): that only
   * flushes it; the file is synced and closed here.
   */
  public static Outcome write(Path target, Path tempDir, boolean replace, Set<PosixFilePermission> mode,
      Content content) throws IOException {
    Path temp = Files.createTempFile(tempDir, "." + target.getFileName() + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        OutputStream out = new FilterOutputStream(Channels.newOutputStream(channel)) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            this.out.write(b, off, len);
          }

          @Override
          public void close() throws IOException {
            flush();
          }
        };
        content.writeTo(out);
        out.flush();
        Files.setPosixFilePermissions(temp, mode);
        channel.force(true);
      }
      Set<Path> touched = new LinkedHashSet<>();
      Outcome outcome = replace ? replace(temp, target, touched) : move(temp, target, touched);
      syncAll(touched);
      return outcome;
    } catch (IOException | RuntimeException | Error e) {
      deleteQuietly(temp, e);
      throw e;
    }
  }

  /** As {@link #write(Path, Path, boolean, Content)} with the bytes of {@code content}. */
  public static Outcome write(Path target, Path tempDir, boolean replace, byte[] content) throws IOException {
    return write(target, tempDir, replace, out -> out.write(content));
  }

  /**
   * Gives {@code temp} (written, verified and synced by the caller) the name {@code target} and
   * syncs the directories that changed. An existing target is success; {@code temp} is deleted.
   */
  public static Outcome publish(Path temp, Path target) throws IOException {
    Set<Path> touched = new LinkedHashSet<>();
    Outcome outcome;
    try {
      outcome = move(temp, target, touched);
    } catch (IOException | RuntimeException | Error e) {
      deleteQuietly(temp, e);
      throw e;
    }
    syncAll(touched);
    return outcome;
  }

  /**
   * As {@link #publish}, without syncing: adds the directories whose entries changed (the target's,
   * and its parent's if the target's had to be created) to {@code touchedDirs}, for the caller to
   * make durable in one go with a batch. The target's directory is added also when the target was
   * there already: a concurrent publisher may have renamed it but not yet synced the directory,
   * and this caller is about to be told the name is durable. {@code temp} is not deleted on error.
   */
  public static Outcome move(Path temp, Path target, Set<Path> touchedDirs) throws IOException {
    Path dir = target.getParent();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir);
      touchedDirs.add(dir.getParent());
    }
    touchedDirs.add(dir);
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(temp);
      return Outcome.ALREADY_PRESENT;
    }
    rename(temp, target, false);
    return Outcome.CREATED;
  }

  private static Outcome replace(Path temp, Path target, Set<Path> touchedDirs) throws IOException {
    Path dir = target.getParent();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir);
      touchedDirs.add(dir.getParent());
    }
    touchedDirs.add(dir);
    rename(temp, target, true);
    return Outcome.CREATED;
  }

  private static void rename(Path temp, Path target, boolean replace) throws IOException {
    try {
      // rename(2) is atomic; should a concurrent publisher of the same content-addressed name win
      // the race, it replaces a file with identical bytes.
      if (replace) {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(temp.getParent() + " and " + target.getParent()
          + " are on different filesystems; keep the whole root on one", e);
    }
  }

  /** fsyncs each directory, in order. */
  public static void syncAll(Set<Path> dirs) throws IOException {
    for (Path d : dirs) {
      Durability.fsyncDirectory(d);
    }
  }

  private static void deleteQuietly(Path temp, Throwable reason) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException deleteError) {
      reason.addSuppressed(deleteError);
    }
  }
}
