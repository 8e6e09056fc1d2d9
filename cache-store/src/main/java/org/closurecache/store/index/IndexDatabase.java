package org.closurecache.store.index;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.closurecache.core.config.NativeLibc;
import org.rocksdb.AbstractNativeReference;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

/**
 * The single owner of one RocksDB database: its options, block cache, column family handles and
 * lifecycle. No handle leaves it; callers name families by {@link Family} and read and write
 * through the methods here, which wrap every {@link RocksDBException} with the database's path.
 *
 * <p><b>Lifecycle.</b> Opened with everything at once; on a failed open whatever was allocated is
 * released. {@link #close()} is idempotent and releases in the order RocksJava documents: write
 * options and column family handles, then the database, then the options, then the cache and
 * filter they reference.
 *
 * <p><b>Errors.</b> A database another instance holds (its {@code LOCK}) is {@link
 * IndexLockedException}; any corruption RocksDB reports, at open or later, and any entry a
 * decoder rejects ({@link CorruptEntryException}) is {@link IndexCorruptException}, with the
 * advice of the {@link IndexSpec}; anything else is an {@link IOException} naming the path.
 *
 * <p><b>Space.</b> RocksDB fallocates 4 MiB for its MANIFEST and 1.1 × the write buffer for each
 * WAL while the database is open: on a nearly full filesystem that reservation alone makes file
 * writes beside it fail with ENOSPC although they would fit, and a full disk could not even open
 * the index to be repaired. These indexes are small; preallocation buys them nothing, so it is off.
 *
 * <p><b>Read-only</b> ({@link #openReadOnly}): takes no lock, may run beside a writing process
 * and sees the database as it was when opened; writes throw {@link IllegalStateException}.
 *
 * <p>Thread-safe: every call holds a read lock and refuses a closed database with {@link
 * IllegalStateException}; {@link #close()} takes the write lock, so it waits for calls in flight
 * instead of freeing native memory under them. Visitors run under the read lock: they may read
 * and write the database but must not close it.
 */
public final class IndexDatabase implements AutoCloseable {
  /** Keys per multiGet call: bounds native memory per call for 200,000-key lookups. */
  private static final int MULTI_GET_BATCH = 1024;
  private static final System.Logger LOG = System.getLogger(IndexDatabase.class.getName());

  static {
    NativeLibc.presetForRocksDb(); // no `sh -c ldd` child per JVM
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final IndexSpec spec;
  private final boolean readOnly;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lifecycle

  private LRUCache cache;
  private WriteBufferManager writeBufferManager;
  private BloomFilter bloomFilter;
  private ColumnFamilyOptions cfOptions;
  private DBOptions dbOptions;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private RocksDB db;
  private WriteOptions relaxedWrites;
  private WriteOptions syncedWrites;

  private IndexDatabase(Path dir, IndexSpec spec, boolean readOnly) {
    this.dir = dir;
    this.spec = spec;
    this.readOnly = readOnly;
  }

  /**
   * Opens (creating if needed) the database in {@code dir} for writing.
   *
   * @throws IndexLockedException if another open instance holds it
   * @throws IndexCorruptException if RocksDB finds it damaged
   */
  public static IndexDatabase open(Path dir, IndexSpec spec) throws IOException {
    Files.createDirectories(dir);
    return open(dir, spec, false);
  }

  /** Opens an existing database for reading only: no lock, a snapshot as of now. */
  public static IndexDatabase openReadOnly(Path dir, IndexSpec spec) throws IOException {
    return open(dir, spec, true);
  }

  private static IndexDatabase open(Path dir, IndexSpec spec, boolean readOnly) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    IndexDatabase d = new IndexDatabase(abs, spec, readOnly);
    try {
      d.doOpen();
      if (!readOnly) {
        // RocksDB creates LOCK with the umask's mode; another user who could open it could hold a
        // lock on it and stall every writer.
        Path lock = abs.resolve("LOCK");
        if (Files.isRegularFile(lock, LinkOption.NOFOLLOW_LINKS)) {
          Files.setPosixFilePermissions(lock, PosixFilePermissions.fromString("rw-------"));
        }
      }
      return d;
    } catch (RocksDBException e) {
      d.release();
      if (isLockError(e)) {
        throw new IndexLockedException(spec.what(), abs, spec.lockedAdvice(), e);
      }
      throw d.translate("open", e);
    } catch (IOException | RuntimeException | Error e) {
      d.release();
      throw e;
    }
  }

  private static boolean isLockError(RocksDBException e) {
    // RocksDB reports a held lock as an IOError on <dir>/LOCK: "lock hold by current process"
    // within one process, "Resource temporarily unavailable" (EAGAIN from fcntl) across them.
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    return m.contains("/lock")
        && (m.contains("lock hold by current process")
            || m.contains("temporarily unavailable")
            || m.contains("no locks available"));
  }

  private void doOpen() throws RocksDBException {
    IndexSpec.Memory mem = spec.memory();
    cache = new LRUCache(mem.blockCacheBytes());
    writeBufferManager = new WriteBufferManager(mem.memtableBudgetBytes(), cache);
    bloomFilter = new BloomFilter(10);
    cfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(mem.writeBufferBytes())
        .setMaxWriteBufferNumber(2)
        .setTableFormatConfig(new BlockBasedTableConfig()
            .setBlockCache(cache)
            .setFilterPolicy(bloomFilter)
            // Index and filter blocks count against the cache instead of growing with the files.
            .setCacheIndexAndFilterBlocks(true)
            .setPinL0FilterAndIndexBlocksInCache(true));
    dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setWriteBufferManager(writeBufferManager)
        .setMaxBackgroundJobs(mem.backgroundJobs())
        .setMaxOpenFiles(mem.maxOpenFiles())
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
        .setKeepLogFileNum(mem.keepInfoLogs())
        .setMaxLogFileSize(1L << 20)
        .setAllowFAllocate(false)
        .setManifestPreallocationSize(64L << 10);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
    for (String name : spec.families()) {
      descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cfOptions));
    }
    relaxedWrites = new WriteOptions().setSync(false);
    syncedWrites = new WriteOptions().setSync(true);
    db = readOnly
        ? RocksDB.openReadOnly(dbOptions, dir.toString(), descriptors, handles)
        : RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Renames a database directory that is to be rebuilt to {@code <name>.broken-<UTC time>} beside
   * it (never deleting it: an operator may want it), unless it does not exist.
   *
   * @throws IndexLockedException if an open instance still holds it
   */
  public static Optional<Path> setAside(Path dir, IndexSpec spec, Instant now) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    try {
      open(dir, spec, false).close();
    } catch (IndexLockedException held) {
      throw held;
    } catch (IOException damaged) {
      // that is why it is set aside
    }
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(now);
    Path aside = dir.resolveSibling(dir.getFileName() + ".broken-" + stamp);
    for (int n = 1; Files.exists(aside, LinkOption.NOFOLLOW_LINKS); n++) {
      aside = dir.resolveSibling(dir.getFileName() + ".broken-" + stamp + "." + n);
    }
    Files.move(dir, aside);
    return Optional.of(aside);
  }

  public boolean readOnly() {
    return readOnly;
  }

  /** The family {@code name} of the spec. */
  public Family family(String name) {
    int i = spec.families().indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no family " + name + " in " + spec.what() + "; it has " + spec.families());
    }
    return new Family(name, i + 1);
  }

  /** The value of {@code key}, or null. */
  public byte[] get(Family f, byte[] key) throws IOException {
    return call("read " + f.name(), () -> db.get(handle(f), key));
  }

  /** The decoded value of {@code key}, if there is one. */
  public <T> Optional<T> get(Family f, byte[] key, Decoder<T> decoder) throws IOException {
    return call("read " + f.name(), () -> {
      byte[] v = db.get(handle(f), key);
      return v == null ? Optional.empty() : Optional.of(decoder.decode(v));
    });
  }

  /** The values of {@code keys} in order, null where absent; in batches that bound native memory. */
  public List<byte[]> multiGet(Family f, List<byte[]> keys) throws IOException {
    return call("look up " + keys.size() + " keys in " + f.name(), () -> {
      List<byte[]> values = new ArrayList<>(keys.size());
      ColumnFamilyHandle h = handle(f);
      for (int from = 0; from < keys.size(); from += MULTI_GET_BATCH) {
        List<byte[]> chunk = keys.subList(from, Math.min(keys.size(), from + MULTI_GET_BATCH));
        values.addAll(db.multiGetAsList(Collections.nCopies(chunk.size(), h), chunk));
      }
      // multiGetAsList answers null for a key it could not read as for an absent one; a get tells
      // them apart (it throws on damage) and is cheap where the key is absent (bloom filter).
      for (int i = 0; i < values.size(); i++) {
        if (values.get(i) == null) {
          values.set(i, db.get(h, keys.get(i)));
        }
      }
      return values;
    });
  }

  public void put(Family f, byte[] key, byte[] value, Writes writes) throws IOException {
    write(new IndexBatch().put(f, key, value), writes);
  }

  public void delete(Family f, byte[] key, Writes writes) throws IOException {
    write(new IndexBatch().delete(f, key), writes);
  }

  /** Applies every operation of {@code batch} atomically. */
  public void write(IndexBatch batch, Writes writes) throws IOException {
    if (batch.isEmpty()) {
      return;
    }
    requireWritable("write " + batch.size() + " entries");
    call("write " + batch.size() + " entries", () -> {
      try (WriteBatch b = new WriteBatch()) {
        for (IndexBatch.Op op : batch.ops) {
          if (op.value() == null) {
            b.delete(handle(op.family()), op.key());
          } else {
            b.put(handle(op.family()), op.key(), op.value());
          }
        }
        db.write(writes == Writes.SYNCED ? syncedWrites : relaxedWrites, b);
      }
      return null;
    });
  }

  /** Visits the entries of {@code f} whose key starts with {@code prefix}, in key order. */
  public void scan(Family f, byte[] prefix, EntryVisitor visitor) throws IOException {
    call("scan " + f.name(), () -> {
      try (RocksIterator it = db.newIterator(handle(f))) {
        for (it.seek(prefix); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (!Keys.startsWith(key, prefix)) {
            break;
          }
          visitor.visit(key, it.value());
        }
        it.status();
      }
      return null;
    });
  }

  /** The greatest key of {@code f} that starts with {@code prefix} and is at most {@code upperBound}. */
  public Optional<byte[]> lastKey(Family f, byte[] prefix, byte[] upperBound) throws IOException {
    return call("seek in " + f.name(), () -> {
      try (RocksIterator it = db.newIterator(handle(f))) {
        it.seekForPrev(upperBound);
        if (it.isValid() && Keys.startsWith(it.key(), prefix)) {
          return Optional.of(it.key());
        }
        it.status();
        return Optional.empty();
      }
    });
  }

  /** Runs a decoder outside a read, turning its rejection into {@link IndexCorruptException}. */
  public <T> T decode(Decoding<T> decoding) throws IOException {
    try {
      return decoding.run();
    } catch (CorruptEntryException e) {
      throw corrupt(e.getMessage(), e);
    }
  }

  /** The exception for damage found by a caller, with this database's advice. */
  public IndexCorruptException corrupt(String problem, Throwable cause) {
    return new IndexCorruptException(spec.what(), dir, problem, spec.repairAdvice().apply(dir), cause);
  }

  /** Closes the database; idempotent. Waits for calls in flight. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      RocksDBException e = release();
      if (e != null) {
        LOG.log(System.Logger.Level.WARNING, "closing " + spec.what() + " " + dir + " failed", e);
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "IndexDatabase[" + dir + (readOnly ? ", read-only]" : "]");
  }

  private ColumnFamilyHandle handle(Family f) {
    return handles.get(f.position());
  }

  private void requireWritable(String what) {
    if (readOnly) {
      throw new IllegalStateException(spec.what() + " " + dir + " was opened read-only; cannot " + what);
    }
  }

  private <T> T call(String what, RocksCall<T> call) throws IOException {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException(spec.what() + " " + dir + " is closed; cannot " + what);
      }
      return call.run();
    } catch (RocksDBException e) {
      throw translate(what, e);
    } catch (CorruptEntryException e) {
      throw corrupt(e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private IOException translate(String what, RocksDBException e) {
    String m = String.valueOf(e.getMessage());
    // RocksDB's status says Corruption for a bad CURRENT, a bad table magic number, a checksum
    // mismatch; some paths only say so in the text.
    boolean corruption = e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption;
    if (corruption || m.toLowerCase(Locale.ROOT).contains("corrupt")) {
      return corrupt(m, e);
    }
    // A file the MANIFEST names that is gone (a deleted SST, a CURRENT naming a missing MANIFEST)
    // is an IOError, not Corruption, but to an operator it is the same damage with the same cure.
    boolean fileGone = e.getStatus() != null && e.getStatus().getCode() == Status.Code.IOError
        && m.contains("No such file") && Files.isRegularFile(dir.resolve("CURRENT"));
    if (what.equals("open") && fileGone) {
      return corrupt(m, e);
    }
    return new IOException(spec.what() + " " + dir + ": cannot " + what + ": " + m, e);
  }

  /** Releases everything; safe on a partly opened instance. Returns the close error, or null. */
  private RocksDBException release() {
    RocksDBException failure = null;
    release(relaxedWrites);
    release(syncedWrites);
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    handles.clear();
    if (db != null) {
      try {
        db.closeE();
      } catch (RocksDBException e) {
        failure = e;
      }
      db = null;
    }
    // The options first, then the cache and filter they reference.
    release(dbOptions);
    release(cfOptions);
    release(writeBufferManager);
    release(bloomFilter);
    release(cache);
    return failure;
  }

  private static void release(AbstractNativeReference r) {
    if (r != null) {
      r.close();
    }
  }

  @FunctionalInterface
  private interface RocksCall<T> {
    T run() throws RocksDBException, IOException;
  }

  /** Decodes one value; rejects bytes that do not decode with {@link CorruptEntryException}. */
  @FunctionalInterface
  public interface Decoder<T> {
    T decode(byte[] value) throws CorruptEntryException;
  }

  /** A computation over decoded entries. */
  @FunctionalInterface
  public interface Decoding<T> {
    T run() throws IOException;
  }

  /** Visits one entry; may throw. */
  @FunctionalInterface
  public interface EntryVisitor {
    void visit(byte[] key, byte[] value) throws IOException;
  }
}
