package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.AtomicPublish;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.objects.ObjectEntry;
import org.closurecache.store.objects.ObjectTable;

/**
 * Publishes staged objects in batches, paying for durability once per batch instead of once per
 * object:
 *
 * <ol>
 *   <li>each temp file is checked (still there, still its staged size) and given its attributes
 *       before the sync, so that they are durable too: 0444, or with a {@link Staged.Presentation}
 *       its {@link Staged.Presentation#fileMode() fileMode()} (recorded read and execute bits,
 *       never a write bit) and the recorded mtime; a file that fails is dropped from the batch;
 *   <li>one {@code syncfs} of the cache's filesystem makes every temp file's data and inode
 *       durable ({@link Durability}, falling back to one fsync per file);
 *   <li>each is renamed atomically to {@code objects/ab/<hex>}; an existing target is success (its
 *       name proves its content) and the temp file is deleted;
 *   <li>a second {@code syncfs} (or one fsync per touched shard directory, and {@code objects/}
 *       if a shard was created) makes the new names durable;
 *   <li>one RocksDB {@code WriteBatch} indexes every object that got this far.
 * </ol>
 *
 * Nothing is indexed before it is durable. If a step fails for the whole batch (a sync), nothing is
 * indexed and the exception propagates; files already renamed are then valid but unindexed, and
 * the next commit of them, or the next reconciliation, indexes them. If single objects fail, the
 * rest of the batch is still indexed and {@link PartialCommitException} names the failed ones.
 * Every temp file handed in is renamed or deleted, whatever happens.
 *
 * <p>Thread-safe: batches may be committed concurrently, also with overlapping digests.
 */
final class ObjectCommitter {
  private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");
  /** {@code PosixFilePermission} in declaration order is owner rwx, group rwx, others rwx: bit 8 down to 0. */
  private static final PosixFilePermission[] BITS = PosixFilePermission.values();

  private final CacheLayout layout;
  private final ObjectTable objects;
  private final Clock clock;

  ObjectCommitter(CacheLayout layout, ObjectTable objects, Clock clock) {
    this.layout = layout;
    this.objects = objects;
    this.clock = clock;
  }

  void commit(List<Staged> batch) throws IOException {
    for (Staged s : batch) {
      if (!layout.tmpDir().equals(s.tempFile().getParent())) {
        // Elsewhere the rename might cross filesystems and the syncfs might miss the file.
        throw new IllegalArgumentException("staged file " + s.tempFile() + " of " + s.digest()
            + " is not in " + layout.tmpDir() + "; create it with CacheLayout.newTempFile()");
      }
    }
    List<Digest> failed = new ArrayList<>();
    List<IOException> causes = new ArrayList<>();
    List<Staged> ready = new ArrayList<>();
    for (Staged s : batch) {
      try {
        prepare(s);
        ready.add(s);
      } catch (IOException e) {
        fail(s, e, failed, causes);
      }
    }
    try {
      Durability.syncFileSystem(layout.tmpDir(), ready.stream().map(Staged::tempFile).toList());
    } catch (IOException | RuntimeException | Error e) {
      deleteAll(ready, e);
      throw e;
    }
    Map<Digest, ObjectEntry> published = new LinkedHashMap<>();
    Set<Path> touchedDirs = new LinkedHashSet<>();
    for (int i = 0; i < ready.size(); i++) {
      Staged s = ready.get(i);
      try {
        publish(s, touchedDirs);
        published.put(s.digest(), new ObjectEntry(s.size(), clock.millis()));
      } catch (IOException e) {
        fail(s, e, failed, causes);
      } catch (RuntimeException | Error e) {
        deleteAll(ready.subList(i, ready.size()), e);
        throw e;
      }
    }
    Durability.syncFileSystem(layout.objectsDir(), List.copyOf(touchedDirs));
    objects.put(published);
    if (!failed.isEmpty()) {
      PartialCommitException e = new PartialCommitException(List.copyOf(published.keySet()), failed);
      causes.forEach(e::addSuppressed);
      throw e;
    }
  }

  private static void prepare(Staged s) throws IOException {
    long size;
    try {
      size = Files.size(s.tempFile());
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(s.tempFile().toString(), null,
          "staged file of " + s.digest() + " disappeared before commit");
    }
    if (size != s.size()) {
      throw new IOException("staged file " + s.tempFile() + " of " + s.digest() + " is " + size
          + " bytes, but " + s.size() + " were staged; it changed after it was verified");
    }
    if (s.presentation().isEmpty()) {
      Files.setPosixFilePermissions(s.tempFile(), READ_ONLY);
      return;
    }
    Staged.Presentation p = s.presentation().get();
    Files.setPosixFilePermissions(s.tempFile(), permissions(p.fileMode()));
    // Owner may set times on a read-only file; views link this inode, so this is the job's mtime.
    Files.setLastModifiedTime(s.tempFile(), FileTime.from(p.mtimeSeconds(), TimeUnit.SECONDS));
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < BITS.length; i++) {
      if ((mode & (1 << (BITS.length - 1 - i))) != 0) {
        out.add(BITS[i]);
      }
    }
    return out;
  }

  private void publish(Staged s, Set<Path> touchedDirs) throws IOException {
    // The shard directory is synced with the batch, also when the file was there already.
    AtomicPublish.move(s.tempFile(), layout.objectPath(s.digest()), touchedDirs);
  }

  private static void fail(Staged s, IOException e, List<Digest> failed, List<IOException> causes) {
    failed.add(s.digest());
    causes.add(e);
    try {
      Files.deleteIfExists(s.tempFile());
    } catch (IOException deleteError) {
      e.addSuppressed(deleteError);
    }
  }

  private static void deleteAll(List<Staged> staged, Throwable reason) {
    for (Staged s : staged) {
      try {
        Files.deleteIfExists(s.tempFile());
      } catch (IOException deleteError) {
        reason.addSuppressed(deleteError);
      }
    }
  }
}
