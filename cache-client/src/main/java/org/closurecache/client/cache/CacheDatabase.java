package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * The native objects behind the node cache's index: options, block cache, database and column
 * family handles, opened together and closed once, in the order RocksJava documents (handles,
 * then the database, then the options, then the cache and filter they reference).
 *
 * <p>Column families: {@code objects}, {@code manifests}, {@code closures}, {@code tags}, {@code
 * counters} (formats in {@link CacheCodec}); {@code default} is unused.
 *
 * <p>Memory: the node runs this next to jobs, so one 8 MiB LRU block cache holds data, index and
 * filter blocks of every family, and memtables are capped at 8 MiB in total, charged to that
 * cache. One background job: index writes are small and rare next to the object files.
 *
 * <p>Read-only mode ({@link #openReadOnly}) takes no lock, may run beside a writing process and
 * sees the index as it was when opened.
 *
 * <p>Thread-safe: every use goes through {@link #call} or {@link #scan}, which hold a read lock
 * and refuse a closed database; {@link #close()} takes the write lock, so it waits for calls in
 * flight instead of freeing native memory under them.
 */
final class CacheDatabase {
  static final long BLOCK_CACHE_BYTES = 8L << 20;
  static final long MEMTABLE_BUDGET_BYTES = 8L << 20;

  static final String OBJECTS = "objects";
  static final String MANIFESTS = "manifests";
  static final String CLOSURES = "closures";
  static final String TAGS = "tags";
  static final String COUNTERS = "counters";
  private static final List<String> FAMILIES =
      List.of("default", OBJECTS, MANIFESTS, CLOSURES, TAGS, COUNTERS);

  private static final System.Logger LOG = System.getLogger(CacheDatabase.class.getName());

  static {
    NativeLibc.presetForRocksDb();  // no `sh -c ldd` child per JVM
    RocksDB.loadLibrary();
  }

  final Path dir;
  final boolean readOnly;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lifecycle

  private LRUCache cache;
  private WriteBufferManager writeBufferManager;
  private BloomFilter bloomFilter;
  private ColumnFamilyOptions cfOptions;
  private DBOptions dbOptions;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  RocksDB db;
  /** Object entries and last-used times: rebuildable, so the WAL is written but not fsynced. */
  WriteOptions relaxedWrites;
  /** Manifests, closure marks, tags: nothing could rebuild them, so every write is fsynced. */
  WriteOptions syncedWrites;

  private CacheDatabase(Path dir, boolean readOnly) {
    this.dir = dir;
    this.readOnly = readOnly;
  }

  static CacheDatabase open(Path dir) throws IOException {
    return open(dir, false);
  }

  static CacheDatabase openReadOnly(Path dir) throws IOException {
    if (Files.isDirectory(dir) && !(Files.isReadable(dir) && Files.isExecutable(dir))) {
      throw new java.nio.file.AccessDeniedException(dir.toString(), null,
          "the cache index is readable by the cache's owner only; run this as that user");
    }
    if (!Files.isRegularFile(dir.resolve("CURRENT"))) {
      throw new java.nio.file.NoSuchFileException(dir.toString(), null,
          "no cache index here; a writer (cache-client pull) creates it");
    }
    return open(dir, true);
  }

  private static CacheDatabase open(Path dir, boolean readOnly) throws IOException {
    CacheDatabase r = new CacheDatabase(dir, readOnly);
    try {
      r.doOpen();
      if (!readOnly) {
        // RocksDB creates LOCK with the umask's mode; index/ is private already, this is the second wall.
        Path lock = dir.resolve("LOCK");
        if (Files.isRegularFile(lock, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.setPosixFilePermissions(lock, CacheLock.MODE);
        }
      }
      return r;
    } catch (RocksDBException e) {
      r.release();
      String m = String.valueOf(e.getMessage());
      if (m.toLowerCase(Locale.ROOT).contains("corruption")) {
        throw new CacheIndexCorruptException(dir, m, e);
      }
      throw new IOException("cannot open cache index " + dir + ": " + m, e);
    } catch (IOException | RuntimeException | Error e) {
      r.release();
      throw e;
    }
  }

  private void doOpen() throws RocksDBException {
    cache = new LRUCache(BLOCK_CACHE_BYTES);
    writeBufferManager = new WriteBufferManager(MEMTABLE_BUDGET_BYTES, cache);
    bloomFilter = new BloomFilter(10);
    cfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(2L << 20)
        .setMaxWriteBufferNumber(2)
        .setTableFormatConfig(new BlockBasedTableConfig()
            .setBlockCache(cache)
            .setFilterPolicy(bloomFilter)
            // Index and filter blocks count against the 8 MiB instead of growing with the files.
            .setCacheIndexAndFilterBlocks(true)
            .setPinL0FilterAndIndexBlocksInCache(true));
    dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setWriteBufferManager(writeBufferManager)
        .setMaxBackgroundJobs(1)
        .setMaxOpenFiles(64)
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
        .setKeepLogFileNum(2)
        .setMaxLogFileSize(1L << 20)
        // RocksDB fallocates 4 MiB for the MANIFEST and 1.1 x the write buffer for each WAL while
        // the index is open: on a nearly full (or small) cache filesystem that reservation alone
        // makes object downloads fail with ENOSPC although the files would fit. The index is small;
        // preallocation buys it nothing.
        .setAllowFAllocate(false)
        .setManifestPreallocationSize(64L << 10);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String name : FAMILIES) {
      descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), cfOptions));
    }
    relaxedWrites = new WriteOptions().setSync(false);
    syncedWrites = new WriteOptions().setSync(true);
    db = readOnly
        ? RocksDB.openReadOnly(dbOptions, dir.toString(), descriptors, handles)
        : RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
  }

  ColumnFamilyHandle family(String name) {
    return handles.get(FAMILIES.indexOf(name));
  }

  /** Runs {@code call} while the database is open, naming the path in any error. */
  <T> T call(String what, RocksCall<T> call) throws IOException {
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("cache index " + dir + " is closed; cannot " + what);
      }
      return call.run();
    } catch (RocksDBException e) {
      String m = String.valueOf(e.getMessage());
      if (m.toLowerCase(Locale.ROOT).contains("corruption")) {
        throw new CacheIndexCorruptException(dir, m, e);
      }
      throw new IOException("cache index " + dir + ": cannot " + what + ": " + m, e);
    } catch (CorruptEntryException e) {
      throw new CacheIndexCorruptException(dir, e.getMessage(), e);
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
          if (!CacheCodec.startsWith(key, prefix)) {
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
        LOG.log(System.Logger.Level.WARNING, "closing cache index " + dir + " failed", e);
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
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

  /** An entry whose bytes do not decode: the index is damaged. */
  static final class CorruptEntryException extends IOException {
    CorruptEntryException(String message) {
      super(message);
    }
  }

  @FunctionalInterface
  interface RocksCall<T> {
    T run() throws RocksDBException, IOException;
  }

  @FunctionalInterface
  interface EntryVisitor {
    void visit(byte[] key, byte[] value) throws IOException, RocksDBException;
  }
}
