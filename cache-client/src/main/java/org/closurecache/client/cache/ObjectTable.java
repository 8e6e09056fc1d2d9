package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.closurecache.client.cache.CacheCodec.ObjectEntry;
import org.closurecache.core.digest.Digest;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The {@code objects} and {@code counters} families: one entry per object file, and the count and
 * total size of those entries, updated in the same {@link WriteBatch} so they are always exact.
 *
 * <p>Object entries are written without syncing the WAL: an entry is written only after its file
 * is durable, and a writer that opens the cache after a crash or power loss re-indexes files that
 * lost their entry (see {@link CacheReconciler}). The clean-close marker is what tells it whether
 * it must.
 *
 * <p>"Present" ({@link #has}, {@link #missing}) means indexed <em>and</em> its file exists: an
 * entry alone could outlive a file someone deleted.
 *
 * <p>Thread-safe. Reads run concurrently; writes are serialized so the counters stay exact.
 */
final class ObjectTable {
  /** Keys per multiGet call: bounds native memory for a 200,000-file closure. */
  private static final int MULTI_GET_BATCH = 1024;

  private final CacheDatabase rocks;
  private final CacheLayout layout;
  private final ColumnFamilyHandle objects;
  private final ColumnFamilyHandle counters;
  private final Object writes = new Object();
  private volatile long count; // written under writes
  private volatile long bytes;

  private ObjectTable(CacheDatabase rocks, CacheLayout layout) {
    this.rocks = rocks;
    this.layout = layout;
    this.objects = rocks.family(CacheDatabase.OBJECTS);
    this.counters = rocks.family(CacheDatabase.COUNTERS);
  }

  static ObjectTable load(CacheDatabase rocks, CacheLayout layout) throws IOException {
    ObjectTable t = new ObjectTable(rocks, layout);
    rocks.call("read counters", () -> {
      byte[] c = rocks.db.get(t.counters, CacheCodec.COUNT_KEY);
      byte[] b = rocks.db.get(t.counters, CacheCodec.BYTES_KEY);
      t.count = c == null ? 0 : CacheCodec.decodeLong(c, "object_count counter");
      t.bytes = b == null ? 0 : CacheCodec.decodeLong(b, "object_bytes counter");
      return null;
    });
    return t;
  }

  long count() {
    return count;
  }

  long bytes() {
    return bytes;
  }

  Optional<ObjectEntry> get(Digest d) throws IOException {
    return rocks.call("read object " + d, () -> {
      byte[] v = rocks.db.get(objects, CacheCodec.key(d));
      return v == null ? Optional.empty() : Optional.of(CacheCodec.decodeObject(v));
    });
  }

  /** Indexed and its file exists. */
  boolean has(Digest d) throws IOException {
    return get(d).isPresent() && Files.isRegularFile(layout.objectPath(d), LinkOption.NOFOLLOW_LINKS);
  }

  /** The digests not present (no entry or no file), in input order, each once. */
  List<Digest> missing(Collection<Digest> digests) throws IOException {
    List<Digest> unique = new ArrayList<>(new LinkedHashSet<>(digests));
    Set<Digest> notIndexed = new HashSet<>(notIndexed(unique));
    List<Digest> result = new ArrayList<>();
    for (Digest d : unique) {
      if (notIndexed.contains(d)
          || !Files.isRegularFile(layout.objectPath(d), LinkOption.NOFOLLOW_LINKS)) {
        result.add(d);
      }
    }
    return result;
  }

  /** The digests that have no entry, in input order. */
  List<Digest> notIndexed(List<Digest> digests) throws IOException {
    return rocks.call("look up " + digests.size() + " objects", () -> {
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
      chunk.forEach(d -> keys.add(CacheCodec.key(d)));
      values.addAll(rocks.db.multiGetAsList(Collections.nCopies(keys.size(), objects), keys));
    }
    return values;
  }

  /** Records objects in one atomic batch; an entry already present is replaced, not recounted. */
  void put(Map<Digest, ObjectEntry> entries) throws IOException {
    if (entries.isEmpty()) {
      return;
    }
    synchronized (writes) {
      rocks.call("write " + entries.size() + " object entries", () -> {
        List<Digest> keys = new ArrayList<>(entries.keySet());
        List<byte[]> old = multiGet(keys);
        long c = count;
        long b = bytes;
        try (WriteBatch batch = new WriteBatch()) {
          for (int i = 0; i < keys.size(); i++) {
            ObjectEntry e = entries.get(keys.get(i));
            batch.put(objects, CacheCodec.key(keys.get(i)), CacheCodec.encode(e));
            if (old.get(i) == null) {
              c++;
              b += e.size();
            } else {
              b += e.size() - CacheCodec.decodeObject(old.get(i)).size();
            }
          }
          commit(batch, c, b);
        }
        return null;
      });
    }
  }

  /** Removes entries in one atomic batch; absent digests are ignored. */
  void delete(Collection<Digest> digests) throws IOException {
    if (digests.isEmpty()) {
      return;
    }
    synchronized (writes) {
      rocks.call("delete " + digests.size() + " object entries", () -> {
        // Deduplicated, so a digest listed twice is not subtracted twice.
        List<Digest> keys = new ArrayList<>(new LinkedHashSet<>(digests));
        List<byte[]> old = multiGet(keys);
        long c = count;
        long b = bytes;
        try (WriteBatch batch = new WriteBatch()) {
          for (int i = 0; i < keys.size(); i++) {
            if (old.get(i) != null) {
              batch.delete(objects, CacheCodec.key(keys.get(i)));
              c--;
              b -= CacheCodec.decodeObject(old.get(i)).size();
            }
          }
          commit(batch, c, b);
        }
        return null;
      });
    }
  }

  private void commit(WriteBatch batch, long c, long b) throws RocksDBException {
    batch.put(counters, CacheCodec.COUNT_KEY, CacheCodec.encodeLong(c));
    batch.put(counters, CacheCodec.BYTES_KEY, CacheCodec.encodeLong(b));
    rocks.db.write(rocks.relaxedWrites, batch);
    count = c;
    bytes = b;
  }

  /** Visits the entries of one shard (two hex digits), or every entry if {@code shard} is "". */
  void forEach(String shard, EntryAction action) throws IOException {
    byte[] prefix = shard.isEmpty() ? new byte[0] : new byte[] {(byte) Integer.parseInt(shard, 16)};
    rocks.scan(objects, prefix, "objects",
        (k, v) -> action.accept(CacheCodec.digest(k, "objects"), CacheCodec.decodeObject(v)));
  }

  /**
   * Whether the last writer closed the cache in order, consuming the answer: the marker is
   * deleted (synced) before this writer changes anything, so a crash from now on leaves none.
   */
  boolean takeCleanClose() throws IOException {
    return rocks.call("read clean-close marker", () -> {
      boolean clean = rocks.db.get(counters, CacheCodec.CLEAN_CLOSE_KEY) != null;
      rocks.db.delete(counters, rocks.syncedWrites, CacheCodec.CLEAN_CLOSE_KEY);
      return clean;
    });
  }

  /** Written last by an orderly close; synced, so it also makes every earlier WAL record durable. */
  void markCleanClose() throws IOException {
    rocks.call("write clean-close marker", () -> {
      rocks.db.put(counters, rocks.syncedWrites, CacheCodec.CLEAN_CLOSE_KEY, new byte[] {1});
      return null;
    });
  }

  @FunctionalInterface
  interface EntryAction {
    void accept(Digest d, ObjectEntry e) throws IOException;
  }
}
