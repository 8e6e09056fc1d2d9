package org.closurecache.server.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.closurecache.core.digest.Descriptor;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.digest.DigestingOutputStream;
import org.closurecache.store.fs.AtomicPublish;
import org.closurecache.store.fs.Directories;
import org.closurecache.store.fs.FileTrees;
import org.closurecache.store.objects.ObjectEntry;
import org.closurecache.store.objects.ObjectReconciler;
import org.closurecache.store.objects.ObjectReconciliation;
import org.closurecache.store.objects.StoredAt;

/**
 * Verified object files under a {@link StoreLayout} plus their {@link StoreIndex} entries.
 *
 * <p>Write protocol ({@link #put}): stream the body into a new file in {@code tmp/} while
 * hashing and counting it; refuse it as soon as it passes the size cap or, at the end, if it
 * does not hash to its name; make it read-only (0444) and fsync it (data and inode, so the mode
 * is durable too); rename it atomically to {@code objects/ab/<hex>}; fsync the shard directory;
 * only then write the index entry. The mode is set before the rename so that a published object
 * is never writable. An existing target counts as success: its name proves its content. On any
 * failure before the rename the temp file is deleted and nothing is indexed.
 *
 * <p>Crash safety: every file in {@code objects/} with a valid name was complete and verified
 * before it got that name, so {@link #reconcile()} (run by {@link #open}) can index files that
 * lost their entry, drop entries whose file is gone and empty {@code tmp/} without re-hashing.
 *
 * <p>Thread-safe. Puts run concurrently, including puts of the same digest. {@link #reconcile()}
 * waits for puts in flight and blocks new ones while it runs, because it empties {@code tmp/}.
 */
public final class ObjectStore implements AutoCloseable {
  public enum PutResult {
    CREATED,
    ALREADY_PRESENT
  }

  /**
   * What {@link #reconcile()} changed; {@code recordsRepaired}: manifests and tag revisions on
   * which the index and their files disagreed ({@link StoreRecords}).
   */
  public record Reconciliation(
      int tempFilesRemoved, int filesIndexed, int entriesDropped, int quarantined, int recordsRepaired) {
    public Reconciliation {
      if (tempFilesRemoved < 0 || filesIndexed < 0 || entriesDropped < 0 || quarantined < 0 || recordsRepaired < 0) {
        throw new IllegalArgumentException("reconciliation counts must not be negative");
      }
    }
  }

  private static final Set<PosixFilePermission> READ_ONLY =
      PosixFilePermissions.fromString("r--r--r--");
  private static final int COPY_BUFFER = 64 * 1024;

  private final StoreLayout layout;
  private final StoreIndex index;
  private final StoreFiles files;
  private final long maxObjectSize;
  private final Clock clock;
  /** Read side: puts. Write side: reconcile, which deletes whatever is in tmp/. */
  private final ReentrantReadWriteLock putsVsReconcile = new ReentrantReadWriteLock();
  private final Reconciliation startupReconciliation;

  private ObjectStore(StoreLayout layout, StoreIndex index, long maxObjectSize, Clock clock, boolean reconcile)
      throws IOException {
    this.layout = layout;
    this.index = index;
    this.files = new StoreFiles(layout);
    this.maxObjectSize = maxObjectSize;
    this.clock = clock;
    if (!files.formatCurrent()) {
      // A store from before the index could be rebuilt: its manifests and tags get their files
      // now, before anything treats the files as the truth.
      new StoreRecords(files, index).migrate();
    }
    this.startupReconciliation = reconcile ? reconcile() : new Reconciliation(0, 0, 0, 0, 0);
  }

  public static ObjectStore open(Path root, long maxObjectSize) throws IOException {
    return open(root, maxObjectSize, Clock.systemUTC());
  }

  /** As {@link #open(Path, long)}, with the clock that stamps {@code storedAtMillis}. */
  public static ObjectStore open(Path root, long maxObjectSize, Clock clock) throws IOException {
    return open(root, maxObjectSize, clock, true);
  }

  /** As {@link #open(Path, long, Clock)}; without {@code reconcile}, for a check that changes nothing. */
  static ObjectStore open(Path root, long maxObjectSize, Clock clock, boolean reconcile) throws IOException {
    if (maxObjectSize < 0) {
      throw new IllegalArgumentException("maxObjectSize must not be negative: " + maxObjectSize);
    }
    Objects.requireNonNull(clock, "clock");
    StoreLayout layout = StoreLayout.at(root);
    layout.create();
    StoreIndex index = StoreIndex.open(layout.indexDir(), layout.objects());
    try {
      return new ObjectStore(layout, index, maxObjectSize, clock, reconcile);
    } catch (IOException | RuntimeException | Error e) {
      index.close();
      throw e;
    }
  }

  /**
   * Stores {@code body} as {@code expected}, reading and verifying all of it.
   *
   * @param declaredLength the body's length if known (e.g. Content-Length), else -1
   * @throws ObjectTooLargeException if declared or actual length exceeds {@link #maxObjectSize()}
   * @throws DigestMismatchException if the bytes do not hash to {@code expected}
   */
  public PutResult put(Digest expected, InputStream body, long declaredLength)
      throws IOException {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(body, "body");
    if (declaredLength < -1) {
      throw new IllegalArgumentException("declaredLength must be -1 or >= 0: " + declaredLength);
    }
    if (declaredLength > maxObjectSize) {
      throw new ObjectTooLargeException("object " + expected, maxObjectSize, declaredLength);
    }
    putsVsReconcile.readLock().lock();
    try {
      Path temp = layout.newTempFile();
      try {
        Descriptor written = writeVerified(temp, expected, body, declaredLength);
        PutResult result = publish(temp, layout.objectPath(expected));
        if (result == PutResult.CREATED || index.object(expected).isEmpty()) {
          index.putObjects(Map.of(expected, new ObjectEntry(written.size(), clock.millis())));
        }
        return result;
      } catch (IOException | RuntimeException | Error e) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException deleteError) {
          e.addSuppressed(deleteError);
        }
        throw e;
      }
    } finally {
      putsVsReconcile.readLock().unlock();
    }
  }

  private Descriptor writeVerified(Path temp, Digest expected, InputStream body, long declared)
      throws IOException {
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
      OutputStream toFile = Channels.newOutputStream(channel);
      DigestingOutputStream out = new DigestingOutputStream(toFile);
      byte[] buffer = new byte[COPY_BUFFER];
      long total = 0;
      while (true) {
        // Never ask for more than one byte past the cap: an oversized body is refused after
        // reading at most maxObjectSize + 1 bytes of it.
        int n = body.read(buffer, 0, (int) Math.min(buffer.length, maxObjectSize - total + 1));
        if (n < 0) {
          break;
        }
        total += n;
        if (total > maxObjectSize) {
          throw new ObjectTooLargeException("object " + expected, maxObjectSize, total);
        }
        out.write(buffer, 0, n);
      }
      if (declared >= 0 && total != declared) {
        throw new IOException(
            "object " + expected + ": body has " + total + " bytes but " + declared
                + " were declared; the upload was truncated or its length header is wrong");
      }
      Descriptor descriptor = out.descriptor();
      if (!descriptor.digest().equals(expected)) {
        throw new DigestMismatchException("object body", expected, descriptor.digest());
      }
      Files.setPosixFilePermissions(temp, READ_ONLY);
      channel.force(true);
      return descriptor;
    }
  }

  private static PutResult publish(Path temp, Path target) throws IOException {
    // Syncs the shard directory also when the file already existed: a concurrent put may have
    // renamed it but not yet synced the directory, and this caller is about to be told the
    // object is durable.
    return AtomicPublish.publish(temp, target) == AtomicPublish.Outcome.CREATED
        ? PutResult.CREATED
        : PutResult.ALREADY_PRESENT;
  }

  /**
   * Stores a signed manifest envelope (the caller verified it and its objects): its file first,
   * durably, then the index entry. Storing one that is stored already is a no-op.
   */
  public void putManifest(Digest manifest, byte[] envelope) throws IOException {
    putsVsReconcile.readLock().lock();
    try {
      files.manifests().write(manifest, envelope);
      index.putManifest(manifest, envelope);
    } finally {
      putsVsReconcile.readLock().unlock();
    }
  }

  /**
   * Makes {@code signedTag} the tag's current value: iff {@code revision} is above the current
   * one, its file is written (durably), then the index (see {@link StoreIndex#putTag}).
   *
   * @throws TagRevisionConflictException if it is not (a replay or rollback)
   */
  public void putTag(String name, long revision, byte[] signedTag) throws IOException {
    putsVsReconcile.readLock().lock();
    try {
      index.tags().put(name, revision, signedTag, () -> files.writeTag(name, revision, signedTag));
    } finally {
      putsVsReconcile.readLock().unlock();
    }
  }

  /** What {@link #check} found: every object re-hashed, every manifest and tag file compared. */
  record Check(ObjectReconciliation objects, RecordRepairs records) {}

  /**
   * The full check fsck runs, in one pass: every object file re-hashed, every manifest and tag
   * file compared with the index. With {@code repair}, {@code tmp/} is emptied, bad files go to
   * quarantine and the index is made to agree; without, nothing changes. Waits for puts in flight.
   */
  Check check(boolean repair) throws IOException {
    putsVsReconcile.writeLock().lock();
    try {
      if (repair) {
        emptyTmp();
      }
      ObjectReconciliation objects =
          ObjectReconciler.run(index.objects(), layout.quarantineDir(), StoredAt.MODIFICATION_TIME, true, repair);
      return new Check(objects, new StoreRecords(files, index).run(true, repair));
    } finally {
      putsVsReconcile.writeLock().unlock();
    }
  }

  StoreFiles files() {
    return files;
  }

  /** True if the index has an entry and the file exists. */
  public boolean contains(Digest d) throws IOException {
    return index.object(d).isPresent() && Files.isRegularFile(layout.objectPath(d));
  }

  /** The object's file if it exists; no index lookup, so a GET costs one stat. */
  public Optional<Path> file(Digest d) {
    Path p = layout.objectPath(d);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /** The digests that are not stored (no entry or no file), in input order. */
  public List<Digest> missing(List<Digest> digests) throws IOException {
    List<Digest> notIndexed = index.missing(digests);
    Set<Digest> absent = new HashSet<>(notIndexed);
    List<Digest> result = new ArrayList<>();
    for (Digest d : digests) {
      if (absent.contains(d) || !Files.isRegularFile(layout.objectPath(d))) {
        result.add(d);
      }
    }
    return result;
  }

  public StoreIndex index() {
    return index;
  }

  public StoreLayout layout() {
    return layout;
  }

  public long maxObjectSize() {
    return maxObjectSize;
  }

  /** What {@link #open} found and repaired. */
  public Reconciliation startupReconciliation() {
    return startupReconciliation;
  }

  /**
   * Brings index and files into agreement: empties {@code tmp/}, then runs the {@link
   * ObjectReconciler} without re-hashing (files that have no entry are indexed with their mtime as
   * storedAt, entries without files dropped, strays quarantined). Waits for puts in flight.
   */
  public Reconciliation reconcile() throws IOException {
    putsVsReconcile.writeLock().lock();
    try {
      int tempFiles = emptyTmp();
      ObjectReconciliation r =
          ObjectReconciler.run(index.objects(), layout.quarantineDir(), StoredAt.MODIFICATION_TIME, false);
      RecordRepairs records = new StoreRecords(files, index).run(false, true);
      return new Reconciliation(tempFiles, r.filesIndexed(), r.missingFiles().size(), r.quarantined(),
          records.manifestsRestored() + records.manifestsDropped() + records.damagedManifestFiles().size()
              + records.tagRevisionsFixed());
    } finally {
      putsVsReconcile.writeLock().unlock();
    }
  }

  private int emptyTmp() throws IOException {
    int removed = 0;
    for (Path p : Directories.list(layout.tmpDir())) {
      FileTrees.delete(p);
      removed++;
    }
    return removed;
  }

  /**
   * Deletes objects: files first, then their index entries in one batch, so a crash in between
   * leaves only entries without files, which {@link #reconcile()} drops. Returns the bytes of
   * the files deleted.
   */
  public long delete(Collection<Digest> digests) throws IOException {
    List<Digest> deleted = new ArrayList<>();
    long freed = 0;
    try {
      for (Digest d : new LinkedHashSet<>(digests)) {
        Path p = layout.objectPath(d);
        try {
          long size = Files.size(p);
          Files.delete(p);
          freed += size;
        } catch (NoSuchFileException gone) {
          // already gone: still drop the entry
        }
        deleted.add(d);
      }
    } finally {
      // Even after a failure, drop the entries of the files that are gone.
      index.deleteObjects(deleted);
    }
    return freed;
  }

  @Override
  public void close() {
    index.close();
  }

  @Override
  public String toString() {
    return "ObjectStore[" + layout.root() + "]";
  }
}
