package org.closurecache.client.running;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.core.digest.Digest;

/**
 * How gc knows a job is running from the cache: a process that runs a closure holds a shared
 * lock on {@code running/<manifest hex>} for as long as it runs (the launcher takes it before
 * starting the job and keeps the descriptor open, so the lock lives exactly as long as the job,
 * whatever way it ends). gc asks for an exclusive lock on each such file without waiting; a
 * refusal means someone is running it, and its objects are kept. Stale files (no holder) are
 * harmless and left in place (one empty file per manifest ever run): deleting one safely would
 * race with a launcher that has opened it but not yet locked it. Thread-safe (no state).
 */
public final class RunningJobs {
  private RunningJobs() {}

  /** Marks {@code manifest} as running until the returned lock is released (or the process ends). */
  public static FileLock markRunning(CacheLayout layout, Digest manifest) throws IOException {
    Path file = Files.createDirectories(layout.runningDir()).resolve(manifest.hex());
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      return channel.lock(0, Long.MAX_VALUE, true);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Manifests some process holds a running lock on now. */
  public static Set<Digest> inUse(CacheLayout layout) throws IOException {
    Set<Digest> out = new HashSet<>();
    Path dir = layout.runningDir();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        Digest manifest;
        try {
          manifest = Digest.ofHex(file.getFileName().toString());
        } catch (IllegalArgumentException e) {
          continue;  // not ours
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          FileLock probe = channel.tryLock();
          if (probe == null) {
            out.add(manifest);
          } else {
            probe.release();
          }
        } catch (OverlappingFileLockException e) {
          out.add(manifest);  // this very process runs it
        }
      }
    }
    return out;
  }
}
