package org.closurecache.client.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.closurecache.client.cache.CacheCodec.ClosureState;
import org.closurecache.core.digest.Descriptor;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.digest.DigestingInputStream;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.objects.ObjectReconciliation;
import org.closurecache.store.objects.ObjectTable;

/**
 * A node's local cache of verified objects, the manifests that name them, and which closures are
 * complete, pinned and recently used. Layout: {@link CacheLayout}; index formats: {@link
 * CacheCodec}.
 *
 * <p><b>One writing process.</b> RocksDB allows one writer process per database, and a node may
 * start 128 ranks that all pull at once. {@link #open} therefore takes an exclusive lock on {@code
 * root/lock} first (waiting at most a lock timeout, 10 minutes by default, telling its {@link
 * Waiter} once whom it waits for; {@link CacheLockTimeoutException} names the holder's pid when it
 * gives up) and holds it until
 * {@link #close()}; every method that writes the cache runs under it. A second process waits, then
 * finds the objects present and fetches nothing. Readers that must not wait use {@link
 * #openReadOnly}: no lock, a snapshot of the index as of opening, query methods only.
 *
 * <p><b>Durability.</b> An object is indexed only after its file and its name are durable ({@link
 * #commit}: one {@code syncfs} per batch for data, one for names, one {@code WriteBatch}). Object
 * entries are not WAL-synced; manifests, closure flags and tags are. A writer that opens a cache
 * its predecessor did not close in order (crash, {@code kill -9}, power loss) empties {@code tmp/}
 * (but for verified downloads a pull left uncommitted: {@link #leftoverDownloads})
 * and reconciles index and files: unindexed files are indexed, entries without files dropped,
 * anything else in {@code objects/} quarantined, and closures that lost an object lose their
 * complete mark. After an orderly close it only empties {@code tmp/}.
 *
 * <p><b>Thread-safety.</b> Thread-safe within the process; the file lock is per process (and a
 * per-root permit keeps a second instance in the same process waiting too). Commits, manifest
 * writes and completion marks run concurrently; {@link #gc} and {@link #fsck} exclude them.
 * {@link #close()} waits for operations in flight.
 */
public final class NodeCache implements AutoCloseable {

  private final CacheLayout layout;
  private final CacheLock lock; // null when read-only
  private final IndexDatabase rocks;
  private final ObjectTable objects;
  private final ClosureTable closures;
  private final TagTable tags;
  private final RecordFiles files;
  private final ObjectCommitter committer;
  private final Closures closureChecks;
  private final Clock clock;
  /** Shared: commit, putManifest, markComplete. Exclusive: gc, fsck, close. */
  private final ReentrantReadWriteLock maintenance = new ReentrantReadWriteLock();
  private final AtomicBoolean closed = new AtomicBoolean();

  private NodeCache(CacheLayout layout, CacheLock lock, IndexDatabase rocks, ObjectTable objects, Clock clock) {
    this.layout = layout;
    this.lock = lock;
    this.rocks = rocks;
    this.objects = objects;
    this.closures = new ClosureTable(rocks);
    this.files = new RecordFiles(layout);
    this.tags = new TagTable(rocks, files);
    this.committer = new ObjectCommitter(layout, objects, clock);
    this.closureChecks = new Closures(rocks, objects, closures, tags);
    this.clock = clock;
  }

  /** How long {@link #open} waits for another process's lock unless told otherwise: 10 minutes. */
  public static final Duration DEFAULT_LOCK_TIMEOUT = CacheLock.DEFAULT_TIMEOUT;

  /**
   * Opens (creating if needed) the cache for writing; waits while another process holds it, at
   * most {@link #DEFAULT_LOCK_TIMEOUT}.
   */
  public static NodeCache open(Path root, Waiter waiter) throws IOException {
    return open(root, waiter, Clock.systemUTC());
  }

  /** As {@link #open(Path, Waiter)}, with the clock for storedAt and last-used times. */
  public static NodeCache open(Path root, Waiter waiter, Clock clock) throws IOException {
    return open(root, waiter, clock, DEFAULT_LOCK_TIMEOUT);
  }

  /** As {@link #open(Path, Waiter)}, waiting at most {@code lockTimeout} for the lock. */
  public static NodeCache open(Path root, Waiter waiter, Duration lockTimeout) throws IOException {
    return open(root, waiter, Clock.systemUTC(), lockTimeout);
  }

  /**
   * Opens (creating if needed) the cache for writing, waiting at most {@code lockTimeout} for
   * another process to release it.
   *
   * @throws CacheLockTimeoutException naming the holder's pid when the wait times out
   */
  public static NodeCache open(Path root, Waiter waiter, Clock clock, Duration lockTimeout) throws IOException {
    Objects.requireNonNull(waiter, "waiter");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(lockTimeout, "lockTimeout");
    CacheLayout layout = CacheLayout.at(root);
    layout.create();
    return openLocked(layout, CacheLock.acquire(layout.lockFile(), waiter, lockTimeout), clock);
  }

  /** Opens the cache whose lock {@code lock} this process holds; releases the lock if that fails. */
  static NodeCache openLocked(CacheLayout layout, CacheLock lock, Clock clock) throws IOException {
    IndexDatabase rocks = null;
    try {
      // Before the index opens: a pull that failed because the disk filled leaves its downloads
      // in tmp/, and RocksDB needs a little space to recover its log at open; without this, a
      // full cache could not even be opened to be repaired. Safe: we hold the lock.
      boolean keepVerified = roomToKeepDownloads(layout);
      CacheReconciler.emptyTmp(layout, keepVerified);
      rocks = CacheIndex.open(layout.indexDir());
      ObjectTable objects = ObjectTable.load(rocks, layout.objects());
      NodeCache cache = new NodeCache(layout, lock, rocks, objects, clock);
      boolean orderly = objects.takeCleanClose();
      if (!cache.files.formatCurrent()) {
        // A cache from before the index could be rebuilt: its manifests, pins and tags get their
        // files now, before anything treats the files as the truth.
        cache.recordReconciler().migrate();
      }
      if (orderly) {
        CacheReconciler.emptyTmp(layout, keepVerified); // safe: whoever wrote there is gone, we hold the lock
      } else {
        // A crash, or an index that lost its tail (a damaged WAL is cut at the damage): the files
        // say what the index must hold.
        ObjectReconciliation r = CacheReconciler.run(layout, objects, false);
        IndexRepairs records = cache.recordReconciler().run(false);
        if (!r.missingFiles().isEmpty() || !records.clean()) {
          cache.closureChecks.revokeIncomplete();
        }
      }
      cache.dropVerifiedDownloadsAlreadyIndexed();
      return cache;
    } catch (IOException | RuntimeException | Error e) {
      if (rocks != null) {
        rocks.close();
      }
      lock.release();
      throw e;
    }
  }

  /**
   * Whether {@code tmp/}'s verified downloads may stay at open: not when the filesystem is nearly
   * full (a pull that failed with ENOSPC left them), where the index needs the room to open.
   */
  private static boolean roomToKeepDownloads(CacheLayout layout) {
    try {
      return Files.getFileStore(layout.tmpDir()).getUsableSpace() >= KEEP_DOWNLOADS_MIN_FREE_BYTES;
    } catch (IOException e) {
      return false;
    }
  }

  /** Free space below which {@link #open} deletes verified downloads instead of keeping them. */
  static final long KEEP_DOWNLOADS_MIN_FREE_BYTES = 64L << 20;

  private RecordReconciler recordReconciler() {
    return new RecordReconciler(files, closures, tags, objects, clock.millis());
  }

  private void dropVerifiedDownloadsAlreadyIndexed() throws IOException {
    for (var e : CacheReconciler.verifiedDownloads(layout).entrySet()) {
      if (objects.has(e.getKey())) {
        Files.deleteIfExists(e.getValue());
      }
    }
  }

  /**
   * Verified downloads a previous writer left in {@code tmp/} uncommitted (it was killed before
   * its batch committed), by digest. Each must be hashed again before use ({@link #stage}): its
   * data was never synced. Call under this writer; the files are the caller's to commit or delete.
   */
  public Map<Digest, Path> leftoverDownloads() throws IOException {
    requireWritable("list leftover downloads");
    return CacheReconciler.verifiedDownloads(layout);
  }

  /**
   * Gives a download that {@code expected} was verified against while streaming a name in {@code
   * tmp/} that carries the digest, so that it survives a crash before its batch commits.
   *
   * @return the file's new path, to stage and commit
   */
  public Path keepVerified(Digest expected, Path download) throws IOException {
    requireWritable("keep a download");
    if (!layout.tmpDir().equals(download.toAbsolutePath().normalize().getParent())) {
      throw new IllegalArgumentException("download " + download + " is not in " + layout.tmpDir());
    }
    Path kept = layout.newVerifiedTempPath(expected);
    Files.move(download, kept, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return kept;
  }

  /**
   * Rebuilds the index from the files it is derived from: re-verifies every stored manifest and
   * every signed tag against {@code trust} (what fails goes to {@code quarantine/}), moves the old
   * index aside (never deletes it), and opens a new one, which indexes the object files, the
   * manifests, pins and tags. Details in {@link IndexRebuild}. Takes the cache lock like {@link
   * #open}, and works when the old index cannot even be opened.
   */
  public static RebuildReport rebuildIndex(Path root, Waiter waiter, Duration lockTimeout, TrustedKeys trust)
      throws IOException {
    CacheLayout layout = CacheLayout.at(root);
    layout.create();
    CacheLock lock = CacheLock.acquire(layout.lockFile(), waiter, lockTimeout);
    return IndexRebuild.run(layout, lock, trust, Clock.systemUTC());
  }

  /** Opens an existing cache for queries only: no lock, no waiting, the index as of now. */
  public static NodeCache openReadOnly(Path root) throws IOException {
    CacheLayout layout = CacheLayout.at(root);
    IndexDatabase rocks = CacheIndex.openReadOnly(layout.indexDir());
    try {
      return new NodeCache(layout, null, rocks, ObjectTable.load(rocks, layout.objects()), Clock.systemUTC());
    } catch (IOException | RuntimeException | Error e) {
      rocks.close();
      throw e;
    }
  }

  public CacheLayout layout() {
    return layout;
  }

  /** True if the object is indexed and its file exists. */
  public boolean hasObject(Digest d) throws IOException {
    return objects.has(d);
  }

  /** The digests not in the cache (no entry or no file), in input order, each once. */
  public List<Digest> missing(Collection<Digest> digests) throws IOException {
    return objects.missing(digests);
  }

  /**
   * Makes a batch durable together and indexes it (protocol in {@link ObjectCommitter}): one
   * syncfs for the data, atomic renames into {@code objects/} (an existing target is success),
   * one syncfs for the names, one WriteBatch. The cache takes the temp files: each is renamed or
   * deleted. If single objects fail, the others are still indexed and {@link
   * PartialCommitException} names the failed ones; if a sync fails, nothing is indexed.
   */
  public void commit(List<Staged> batch) throws IOException {
    requireWritable("commit objects");
    withLock(maintenance.readLock(), () -> {
      committer.commit(batch);
      return null;
    });
  }

  /**
   * Verifies a temp file against its digest, hashing while reading it once.
   *
   * @throws DigestMismatchException if it does not hash to {@code expected}; the file is left for
   *     the caller to delete
   */
  public static Staged stage(Digest expected, Path tempFile) throws IOException {
    Descriptor actual;
    try (InputStream in = Files.newInputStream(tempFile)) {
      actual = DigestingInputStream.hash(in);
    }
    if (!actual.digest().equals(expected)) {
      throw new DigestMismatchException("staged file " + tempFile, expected, actual.digest());
    }
    return new Staged(expected, tempFile, actual.size());
  }

  /** Stores a signed envelope (synced) after checking that it holds the manifest named {@code manifest}. */
  public void putManifest(Digest manifest, byte[] signedEnvelope) throws IOException {
    requireWritable("store a manifest");
    StoredManifests.parseNamed(manifest, signedEnvelope);
    withLock(maintenance.readLock(), () -> {
      files.manifests().write(manifest, signedEnvelope); // the file first: it is what a rebuilt index keeps
      closures.putManifest(manifest, signedEnvelope, clock.millis());
      return null;
    });
  }

  /**
   * Stores an envelope already parsed (and verified) by the caller, without parsing it again:
   * under its own manifest digest, as its canonical bytes. For a manifest at the size limit this
   * saves a second parse of some 30 MiB.
   */
  public void putManifest(SignedManifest envelope) throws IOException {
    requireWritable("store a manifest");
    Digest digest = envelope.manifestDigest();
    byte[] bytes = envelope.toBytes();
    withLock(maintenance.readLock(), () -> {
      files.manifests().write(digest, bytes);
      closures.putManifest(digest, bytes, clock.millis());
      return null;
    });
  }

  /**
   * As {@link #markComplete(Digest)}, checking the objects of {@code parsed}, the caller's parse of
   * the stored manifest {@code manifest} (from the envelope it stored with {@link
   * #putManifest(SignedManifest)}), instead of parsing the stored one again.
   */
  public void markComplete(Digest manifest, Manifest parsed) throws IOException {
    requireWritable("mark a closure complete");
    withLock(maintenance.readLock(), () -> {
      closureChecks.markComplete(manifest, parsed.objectDigests());
      return null;
    });
  }

  public Optional<byte[]> manifest(Digest manifest) throws IOException {
    return closures.manifest(manifest);
  }

  /**
   * Marks a closure complete, after checking that every object its manifest names is present.
   *
   * @throws IllegalStateException if the manifest is not stored, or naming the missing objects
   */
  public void markComplete(Digest manifest) throws IOException {
    requireWritable("mark a closure complete");
    // Under the shared lock, so no GC can remove an object between the check and the mark.
    withLock(maintenance.readLock(), () -> {
      closureChecks.markComplete(manifest);
      return null;
    });
  }

  public boolean isComplete(Digest manifest) throws IOException {
    return closures.state(manifest).map(ClosureState::complete).orElse(false);
  }

  /** The highest revision of {@code tag} ever accepted here, 0 if none. */
  public long tagRevision(String tag) throws IOException {
    return tags.get(tag).map(CacheCodec.TagEntry::revision).orElse(0L);
  }

  /**
   * Accepts a (verified) tag value. Equal revision with the same manifest is a no-op.
   *
   * @throws TagRollbackRefusedException for a lower revision, or the same revision naming another manifest
   */
  public void recordTag(String tag, long revision, Digest manifest) throws IOException {
    recordTag(tag, revision, manifest, new byte[0]);
  }

  /** As {@link #recordTag(String, long, Digest)}, keeping the signed record so the tag can be exported. */
  public void recordTag(String tag, long revision, Digest manifest, byte[] signedTag) throws IOException {
    requireWritable("record a tag");
    Objects.requireNonNull(manifest, "manifest");
    tags.record(tag, revision, manifest, signedTag.clone());
  }

  /** The signed record of the tag as last accepted, when this cache kept it. */
  public Optional<byte[]> signedTag(String tag) throws IOException {
    return tags.get(tag).map(CacheCodec.TagEntry::signed).filter(b -> b.length > 0);
  }

  public Optional<Digest> tagTarget(String tag) throws IOException {
    return tags.get(tag).map(CacheCodec.TagEntry::manifest);
  }

  /** Keeps the closure's objects through every {@link #gc}; the manifest must be stored. */
  public void pin(Digest manifest) throws IOException {
    requireWritable("pin");
    if (closures.state(manifest).isEmpty() && closures.manifest(manifest).isEmpty()) {
      throw new IllegalStateException("manifest " + manifest + " is not in this cache; pull it first");
    }
    files.pin(manifest);
    closures.update(manifest, true, s -> s.withPinned(true));
  }

  public void unpin(Digest manifest) throws IOException {
    requireWritable("unpin");
    files.unpin(manifest);
    closures.update(manifest, true, s -> s.withPinned(false));
  }

  public boolean isPinned(Digest manifest) {
    try {
      return closures.state(manifest).map(ClosureState::pinned).orElse(false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Records that the closure was used now (for LRU). Not synced: a lost touch only ages it. */
  public void touch(Digest manifest) throws IOException {
    touch(manifest, clock.millis());
  }

  /** Records that the closure was used at {@code atMillis}, unless it was used later already. */
  public void touch(Digest manifest, long atMillis) throws IOException {
    requireWritable("touch");
    closures.update(manifest, false, s -> s.withLastUsed(Math.max(atMillis, s.lastUsedMillis())));
  }

  /** Every stored manifest, in digest order. */
  public List<ClosureInfo> list() throws IOException {
    return closureChecks.list();
  }

  /** Indexed objects; exact (counted in the same batches as the entries). */
  public long objectCount() {
    return objects.count();
  }

  public long objectBytes() {
    return objects.bytes();
  }

  /**
   * Re-hashes every object file and reconciles index and files (see {@link CacheReconciler});
   * corrupt files go to {@code quarantine/} and lose their entries, and closures that needed a
   * lost object lose their complete mark. Repair is the caller re-fetching {@code refetch()}.
   * Excludes commits while it runs.
   */
  public FsckReport fsck() throws IOException {
    requireWritable("fsck");
    return withLock(maintenance.writeLock(), () -> {
      ObjectReconciliation r = CacheReconciler.run(layout, objects, true);
      IndexRepairs records = recordReconciler().run(true);
      List<Digest> incomplete = closureChecks.revokeIncomplete();
      List<Digest> lost = new ArrayList<>(r.corrupt());
      lost.addAll(r.missingFiles());
      return new FsckReport(r.objectsChecked(), r.corrupt(), r.missingFiles(), r.filesIndexed(),
          r.quarantined(), incomplete, closureChecks.neededOf(lost), records);
    });
  }

  /**
   * Evicts least-recently-used closures until object bytes are at most {@code maxBytes}; never
   * an object of a pinned closure, of a closure in {@code inUse}, or shared with a kept closure
   * (details in {@link CacheGc}). {@code inUse} must also name closures being pulled right now.
   * Removes the views of evicted closures with them, views whose manifest is no complete closure
   * here (but never one that is pinned or in {@code inUse}), leftover view build and trash
   * directories over an hour old, and variants no view links ({@link CacheLayout}).
   */
  public GcReport gc(long maxBytes, Set<Digest> inUse) throws IOException {
    requireWritable("gc");
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    Set<Digest> protectedSet = Set.copyOf(inUse);
    return withLock(maintenance.writeLock(), () -> new CacheGc(rocks, layout, objects, closures, files, clock)
        .run(maxBytes, protectedSet));
  }

  /**
   * Waits for operations in flight, marks the close as orderly (so the next writer skips the
   * full reconciliation), closes RocksDB in its documented order, then releases the lock.
   * Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    maintenance.writeLock().lock();
    try {
      if (lock != null) {
        try {
          objects.markCleanClose();
        } catch (IOException | RuntimeException e) {
          // The next writer then reconciles in full, which is always safe.
          System.getLogger(NodeCache.class.getName()).log(System.Logger.Level.WARNING,
              "could not record an orderly close of " + layout.root(), e);
        }
      }
      rocks.close();
    } finally {
      maintenance.writeLock().unlock();
      if (lock != null) {
        lock.release();
      }
    }
  }

  @Override
  public String toString() {
    return "NodeCache[" + layout.root() + (lock == null ? ", read-only]" : "]");
  }

  private void requireWritable(String what) {
    if (lock == null) {
      throw new IllegalStateException("cannot " + what + ": the cache at " + layout.root()
          + " was opened read-only; use NodeCache.open to change it");
    }
  }

  private <T> T withLock(Lock l, IoCall<T> call) throws IOException {
    l.lock();
    try {
      if (closed.get()) {
        // Checked under the lock close() takes, so no commit starts moving files after close.
        throw new IllegalStateException("the cache at " + layout.root() + " is closed");
      }
      return call.run();
    } finally {
      l.unlock();
    }
  }

  @FunctionalInterface
  private interface IoCall<T> {
    T run() throws IOException;
  }
}
