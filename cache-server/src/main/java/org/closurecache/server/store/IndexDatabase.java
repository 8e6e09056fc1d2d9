package org.closurecache.server.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

/**
 * The native objects behind one {@link StoreIndex}: options, cache, database and column family
 * handles, opened together and closed once, in the order RocksJava documents (handles, then the
 * database, then the options and the cache/filter they reference).
 *
 * <p>Thread-safe: every use goes through {@link #call} or {@link #scan}, which hold a read lock
 * and refuse a closed database; {@link #close()} takes the write lock, so it waits for calls in
 * flight instead of freeing native memory under them.
 *
 * <p>Memory: one 32 MiB LRU block cache holds data, index and filter blocks of every column
 * family, and memtables are capped at 16 MiB in total by a write buffer manager charged to the
 * same cache, so the index stays near 32 MiB of native memory however large the store grows.
 * The server's whole budget is 256 MiB RSS.
 */
final class IndexDatabase {
  static final long BLOCK_CACHE_BYTES = 32L << 20;
  static final long MEMTABLE_BUDGET_BYTES = 16L << 20;

  static final String OBJECTS = "objects";
  static final String MANIFESTS = "manifests";
  static final String TAGS = "tags";
  static final String TAG_HISTORY = "tag_history";
  static final String COUNTERS = "counters";
  private static final List<String> FAMILIES =
      List.of("default", OBJECTS, MANIFESTS, TAGS, TAG_HISTORY, COUNTERS);

  private static final System.Logger LOG = System.getLogger(StoreIndex.class.getName());

  static {
    NativeLibc.presetForRocksDb();  // no `sh -c ldd` child per JVM
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lifecycle

  private LRUCache cache;
  private WriteBufferManager writeBufferManager;
  private BloomFilter bloomFilter;
  private ColumnFamilyOptions cfOptions;
  private DBOptions dbOptions;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  RocksDB db;
  /** Object entries: the WAL is written but not fsynced; see {@link StoreIndex}. */
  WriteOptions relaxedWrites;
  /** Manifests and tags: fsynced, they must never roll back. */
  WriteOptions syncedWrites;

  /**
   * Opens the database; on failure everything already allocated is released.
   *
   * @throws StoreLockedException if another open instance holds the database's lock
   */
  static IndexDatabase open(Path dir) throws IOException {
    IndexDatabase r = new IndexDatabase(dir);
    try {
      r.doOpen(dir);
      return r;
    } catch (RocksDBException e) {
      r.release();
      if (isLockError(e)) {
        throw new StoreLockedException(dir, e);
      }
      throw new IOException("cannot open store index " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      r.release();
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

  private IndexDatabase(Path dir) {
    this.dir = dir;
  }

  private void doOpen(Path dir) throws RocksDBException {
    cache = new LRUCache(BLOCK_CACHE_BYTES);
    writeBufferManager = new WriteBufferManager(MEMTABLE_BUDGET_BYTES, cache);
    bloomFilter = new BloomFilter(10);
    cfOptions =
        new ColumnFamilyOptions()
            .setWriteBufferSize(8L << 20)
            .setMaxWriteBufferNumber(2)
            .setTableFormatConfig(
                new BlockBasedTableConfig()
                    .setBlockCache(cache)
                    .setFilterPolicy(bloomFilter)
                    // Index and filter blocks count against the cache instead of growing with
                    // the number of SST files.
                    .setCacheIndexAndFilterBlocks(true)
                    .setPinL0FilterAndIndexBlocksInCache(true));
    dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setWriteBufferManager(writeBufferManager)
            .setMaxBackgroundJobs(2)
            .setMaxOpenFiles(512)
            .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
            .setKeepLogFileNum(4)
            .setMaxLogFileSize(1L << 20);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String name : FAMILIES) {
      descriptors.add(
          new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cfOptions));
    }
    relaxedWrites = new WriteOptions().setSync(false);
    syncedWrites = new WriteOptions().setSync(true);
    db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
  }

  ColumnFamilyHandle family(String name) {
    return handles.get(FAMILIES.indexOf(name));
  }

  /** Runs {@code call} while the database is open, naming the path in any error. */
  <T> T call(String what, RocksCall<T> call) throws IOException {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("store index " + dir + " is closed; cannot " + what);
      }
      return call.run();
    } catch (RocksDBException e) {
      throw new IOException(
          "store index " + dir + ": cannot " + what + ": " + e.getMessage(), e);
    } catch (IOException e) {
      // Only the codecs throw here: an entry that cannot be decoded.
      throw new IOException(
          "store index " + dir + " is damaged (" + e.getMessage() + "); move it aside and"
              + " restart: object entries are rebuilt from objects/, manifests and tags are not",
          e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Visits the entries of {@code family} whose key starts with {@code prefix}, in key order. */
  void scan(ColumnFamilyHandle family, byte[] prefix, String name, EntryVisitor visitor)
      throws IOException {
    call("scan " + name, () -> {
      try (RocksIterator it = db.newIterator(family)) {
        for (it.seek(prefix); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (!IndexCodec.startsWith(key, prefix)) {
            break;
          }
          visitor.visit(key, it.value());
        }
        it.status();
      }
      return null;
    });
  }

  /** Closes the database; idempotent. Waits for calls in flight. */
  void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      RocksDBException e = release();
      if (e != null) {
        LOG.log(System.Logger.Level.WARNING, "closing store index " + dir + " failed", e);
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /**
   * Releases everything; safe on a partly opened instance. Returns the error the database
   * reported while closing (e.g. a failed final flush), or null.
   */
  private RocksDBException release() {
    RocksDBException failure = null;
    if (relaxedWrites != null) {
      relaxedWrites.close();
    }
    if (syncedWrites != null) {
      syncedWrites.close();
    }
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
  interface RocksCall<T> {
    T run() throws RocksDBException, IOException;
  }

  @FunctionalInterface
  interface EntryVisitor {
    void visit(byte[] key, byte[] value) throws IOException;
  }
}
