package org.closurecache.server.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.closurecache.core.digest.Digest;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The store's one RocksDB database.
 *
 * <p>Column families (all integers big-endian): {@code objects} 32-byte raw digest → size and
 * storedAt millis (16 bytes); {@code manifests} raw digest → signed envelope bytes; {@code
 * tags} UTF-8 name → current signed tag bytes; {@code tag_history} name + 0x00 + 8-byte revision
 * → signed tag bytes; {@code counters} {@code object_count}/{@code object_bytes} → 8-byte long,
 * updated in the same {@link WriteBatch} as the object entries they count. {@code default} is
 * unused.
 *
 * <p>Durability: the WAL is always on. Object entries are written with {@code sync=false}: the
 * WAL record reaches the OS at once and survives a process crash, but a power loss can drop the
 * last entries. That is safe because an entry is written only after its object file and
 * directory were fsynced, and {@link ObjectStore#reconcile()} re-indexes files that have no
 * entry; syncing each entry would double the fsyncs per upload. Manifests and tags are written
 * with {@code sync=true}: nothing on disk could rebuild them, and a tag must never roll back.
 *
 * <p>Thread-safe. Reads run concurrently; object writes are serialized (so the counters stay
 * exact), and so are tag writes (so the revision check and the write are atomic). {@link
 * #close()} waits for operations in flight; later calls throw {@link IllegalStateException}.
 * Callbacks of the {@code forEach} methods run under the read lock: they may read and write the
 * index but must not close it.
 */
public final class StoreIndex implements AutoCloseable {
  /** Keys per multiGet call: bounds native memory per call for 10,000-digest requests. */
  private static final int MULTI_GET_BATCH = 1024;

  private final Path dir;
  private final IndexDatabase rocks;
  private final ColumnFamilyHandle objects;
  private final ColumnFamilyHandle manifests;
  private final ColumnFamilyHandle counters;
  private final Object objectWrites = new Object();
  private final TagTable tagTable;
  private volatile long objectCount; // written under objectWrites
  private volatile long objectBytes;

  private StoreIndex(Path dir, IndexDatabase rocks) {
    this.dir = dir;
    this.rocks = rocks;
    this.objects = rocks.family(IndexDatabase.OBJECTS);
    this.manifests = rocks.family(IndexDatabase.MANIFESTS);
    this.tagTable = new TagTable(rocks);
    this.counters = rocks.family(IndexDatabase.COUNTERS);
  }

  /**
   * Opens (creating if needed) the database in {@code dir}.
   *
   * @throws StoreLockedException if another open instance holds the database's lock
   */
  public static StoreIndex open(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    Files.createDirectories(abs);
    IndexDatabase rocks = IndexDatabase.open(abs);
    StoreIndex index = new StoreIndex(abs, rocks);
    try {
      index.loadCounters();
      return index;
    } catch (IOException | RuntimeException e) {
      index.close();
      throw e;
    }
  }

  private void loadCounters() throws IOException {
    call("read counters", () -> {
      byte[] count = rocks.db.get(counters, IndexCodec.COUNT_KEY);
      byte[] bytes = rocks.db.get(counters, IndexCodec.BYTES_KEY);
      objectCount = count == null ? 0 : IndexCodec.decodeLong(count, "object_count counter");
      objectBytes = bytes == null ? 0 : IndexCodec.decodeLong(bytes, "object_bytes counter");
      return null;
    });
  }

  public Path dir() {
    return dir;
  }

  public Optional<ObjectRecord> object(Digest d) throws IOException {
    return call("read object " + d, () -> {
      byte[] value = rocks.db.get(objects, IndexCodec.digestKey(d));
      return value == null
          ? Optional.empty()
          : Optional.of(IndexCodec.decodeRecord(value, "objects"));
    });
  }

  /** The digests with no object entry, in input order (duplicates kept as given). */
  public List<Digest> missing(List<Digest> digests) throws IOException {
    return call("look up " + digests.size() + " objects", () -> {
      List<byte[]> found = multiGet(digests);
      List<Digest> result = new ArrayList<>();
      for (int i = 0; i < digests.size(); i++) {
        if (found.get(i) == null) {
          result.add(digests.get(i));
        }
      }
      return result;
    });
  }

  private List<byte[]> multiGet(List<Digest> digests) throws RocksDBException {
    List<byte[]> values = new ArrayList<>(digests.size());
    for (int from = 0; from < digests.size(); from += MULTI_GET_BATCH) {
      List<Digest> chunk = digests.subList(from, Math.min(digests.size(), from + MULTI_GET_BATCH));
      List<byte[]> keys = new ArrayList<>(chunk.size());
      for (Digest d : chunk) {
        keys.add(IndexCodec.digestKey(d));
      }
      values.addAll(rocks.db.multiGetAsList(Collections.nCopies(keys.size(), objects), keys));
    }
    return values;
  }

  /**
   * Records objects in one atomic batch. Entries already present are overwritten (refreshing
   * storedAt) without being counted twice.
   */
  public void putObjects(Map<Digest, ObjectRecord> records) throws IOException {
    if (records.isEmpty()) {
      return;
    }
    synchronized (objectWrites) {
      call("write " + records.size() + " object entries", () -> {
        List<Digest> keys = new ArrayList<>(records.keySet());
        List<byte[]> old = multiGet(keys);
        long count = objectCount;
        long bytes = objectBytes;
        try (WriteBatch batch = new WriteBatch()) {
          for (int i = 0; i < keys.size(); i++) {
            ObjectRecord r = records.get(keys.get(i));
            batch.put(objects, IndexCodec.digestKey(keys.get(i)), IndexCodec.encode(r));
            if (old.get(i) == null) {
              count++;
              bytes += r.size();
            } else {
              bytes += r.size() - IndexCodec.decodeRecord(old.get(i), "objects").size();
            }
          }
          writeCountersAndCommit(batch, count, bytes);
        }
        return null;
      });
    }
  }

  /** Removes object entries in one atomic batch; absent digests are ignored. */
  public void deleteObjects(Collection<Digest> digests) throws IOException {
    if (digests.isEmpty()) {
      return;
    }
    synchronized (objectWrites) {
      call("delete " + digests.size() + " object entries", () -> {
        // Deduplicate so a digest listed twice is not subtracted twice.
        List<Digest> keys = new ArrayList<>(new LinkedHashSet<>(digests));
        List<byte[]> old = multiGet(keys);
        long count = objectCount;
        long bytes = objectBytes;
        try (WriteBatch batch = new WriteBatch()) {
          for (int i = 0; i < keys.size(); i++) {
            if (old.get(i) != null) {
              batch.delete(objects, IndexCodec.digestKey(keys.get(i)));
              count--;
              bytes -= IndexCodec.decodeRecord(old.get(i), "objects").size();
            }
          }
          writeCountersAndCommit(batch, count, bytes);
        }
        return null;
      });
    }
  }

  private void writeCountersAndCommit(WriteBatch batch, long count, long bytes)
      throws RocksDBException {
    batch.put(counters, IndexCodec.COUNT_KEY, IndexCodec.encodeLong(count));
    batch.put(counters, IndexCodec.BYTES_KEY, IndexCodec.encodeLong(bytes));
    rocks.db.write(rocks.relaxedWrites, batch);
    objectCount = count;
    objectBytes = bytes;
  }

  /** Visits every object entry in digest order, from a consistent snapshot. */
  public void forEachObject(BiConsumer<Digest, ObjectRecord> action) throws IOException {
    scanObjects(new byte[0], action);
  }

  /** Visits the object entries whose digest starts with the two hex digits {@code shard}. */
  public void forEachObjectInShard(String shard, BiConsumer<Digest, ObjectRecord> action)
      throws IOException {
    if (!shard.matches("[0-9a-f]{2}")) {
      throw new IllegalArgumentException("shard must be two lowercase hex digits, got " + shard);
    }
    scanObjects(new byte[] {(byte) Integer.parseInt(shard, 16)}, action);
  }

  private void scanObjects(byte[] prefix, BiConsumer<Digest, ObjectRecord> action)
      throws IOException {
    scan(objects, prefix, "objects", (k, v) ->
        action.accept(IndexCodec.digest(k, "objects"), IndexCodec.decodeRecord(v, "objects")));
  }

  public long objectCount() {
    return objectCount;
  }

  public long objectBytes() {
    return objectBytes;
  }

  public Optional<byte[]> manifest(Digest d) throws IOException {
    return call("read manifest " + d,
        () -> Optional.ofNullable(rocks.db.get(manifests, IndexCodec.digestKey(d))));
  }

  public void putManifest(Digest d, byte[] envelope) throws IOException {
    call("write manifest " + d, () -> {
      rocks.db.put(manifests, rocks.syncedWrites, IndexCodec.digestKey(d), envelope);
      return null;
    });
  }

  public void forEachManifest(BiConsumer<Digest, byte[]> action) throws IOException {
    scan(manifests, new byte[0], "manifests",
        (k, v) -> action.accept(IndexCodec.digest(k, "manifests"), v));
  }

  /** The current signed tag, if the tag exists. */
  public Optional<byte[]> tag(String name) throws IOException {
    return tagTable.current(name);
  }

  /** The tag's current revision, 0 when the tag does not exist. */
  public long tagRevision(String name) throws IOException {
    return tagTable.revision(name);
  }

  /**
   * Makes {@code signedTag} the tag's current value and appends it to its history, atomically
   * and durably (sync), iff {@code revision} is greater than the current revision. Serialized.
   *
   * @throws TagRevisionConflictException if it is not (a replay or rollback)
   */
  public void putTag(String name, long revision, byte[] signedTag) throws IOException {
    tagTable.put(name, revision, signedTag);
  }

  /** Every value the tag has had, oldest revision first. */
  public List<byte[]> tagHistory(String name) throws IOException {
    return tagTable.history(name);
  }

  /** Closes the database; idempotent. Waits for operations in flight. */
  @Override
  public void close() {
    rocks.close();
  }

  @Override
  public String toString() {
    return "StoreIndex[" + dir + "]";
  }

  private <T> T call(String what, IndexDatabase.RocksCall<T> call) throws IOException {
    return rocks.call(what, call);
  }

  private void scan(ColumnFamilyHandle family, byte[] prefix, String name,
      IndexDatabase.EntryVisitor visitor) throws IOException {
    rocks.scan(family, prefix, name, visitor);
  }
}
