package org.closurecache.store.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * What the write protocols need to make data and names durable and the JDK does not name: fsync
 * of a directory, and one sync of a whole filesystem.
 *
 * <p>The JDK can only fsync one file at a time, and one fsync per 4 KiB object caps a cold pull at
 * 1–3k objects/s; {@code syncfs(2)} flushes the whole filesystem in one call. The JDK has no
 * binding for it, so {@link #syncFileSystem} runs {@code sync -f DIR}, which is that system call in
 * coreutils ({@code -f} is {@code --file-system}) and in busybox (which has no long form), so a
 * node with only busybox gets it too. If the command is missing or fails, each file is {@link FileChannel#force
 * forced} instead, and the command is not tried again in this JVM.
 *
 * <p>Cost to know about: syncfs also flushes whatever else is dirty on that filesystem (a job's
 * scratch files, if they share it). Linux before 5.8 does not report writeback errors from syncfs.
 * Thread-safe; stateless apart from remembering that the command is unusable.
 */
public final class Durability {
  private static final long SYNC_TIMEOUT_MINUTES = 10;
  private static volatile boolean syncCommandUnusable;

  private Durability() {}

  /** How a {@link #syncFileSystem} call made the data durable; for tests and reports. */
  public enum Method {
    SYNCFS,
    FSYNC_EACH
  }

  /**
   * Makes every write to {@code filesInFs} durable, with one syncfs of the filesystem holding
   * {@code anyDirInFs} if possible, else one fsync per path (files and directories alike).
   */
  public static Method syncFileSystem(Path anyDirInFs, Collection<Path> filesInFs) throws IOException {
    if (filesInFs.isEmpty()) {
      return Method.SYNCFS;
    }
    if (!syncCommandUnusable && runSyncCommand(anyDirInFs)) {
      return Method.SYNCFS;
    }
    for (Path p : filesInFs) {
      fsync(p);
    }
    return Method.FSYNC_EACH;
  }

  private static boolean runSyncCommand(Path dir) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(syncProgram(), "-f", dir.toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException notStartable) {
      syncCommandUnusable = true;
      return false;
    }
    try {
      if (!p.waitFor(SYNC_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("sync -f " + dir + " did not finish within "
            + SYNC_TIMEOUT_MINUTES + " minutes; is the filesystem healthy?");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while syncing " + dir);
    }
    if (p.exitValue() != 0) {
      // An old coreutils or busybox without -f, or a filesystem that refuses: fall back for good.
      syncCommandUnusable = true;
      return false;
    }
    return true;
  }

  private static String syncProgram() {
    // Prefer the absolute path: PATH on a compute node may be whatever the job set.
    for (String candidate : new String[] {"/usr/bin/sync", "/bin/sync"}) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    return "sync";
  }

  /**
   * For tests: force (or stop forcing) the per-file fallback of {@link #syncFileSystem}, as on a
   * node without the command.
   */
  public static void useSyncCommand(boolean use) {
    syncCommandUnusable = !use;
  }

  /** fsync of one file or directory (Linux allows fsync on a directory opened read-only). */
  public static void fsync(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * fsync of a directory, making renames and creations inside it durable: without it a crash after
   * a rename can lose the new name even though the file's data was synced.
   */
  public static void fsyncDirectory(Path dir) throws IOException {
    fsync(dir);
  }
}
