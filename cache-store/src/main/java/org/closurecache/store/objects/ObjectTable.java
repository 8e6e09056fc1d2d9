package org.closurecache.store.objects;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.CorruptEntryException;
import org.closurecache.store.index.Family;
import org.closurecache.store.index.IndexBatch;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.Keys;
import org.closurecache.store.index.Writes;

/**
 * The {@code objects} and {@code counters} families of an index: one entry per object file
 * (32-byte raw digest → {@link ObjectEntry}, 16 bytes), and the count and total size of those
 * entries ({@code object_count}, {@code object_bytes}: 8-byte longs), updated in the same atomic
 * batch as the entries they count, so they are always exact.
 *
 * <p>Object entries are written {@link Writes#RELAXED relaxed}: an entry is written only after its
 * file and name are durable, and a reconciliation ({@link ObjectReconciler}) re-indexes files that
 * lost their entry. The clean-close marker ({@code clean_close} in {@code counters}) tells the next
 * writer whether it must: it is present only between an orderly close and the next open.
 *
 * <p>"Present" ({@link #has}, {@link #missing}) means indexed <em>and</em> its file exists: an
 * entry alone could outlive a file someone deleted.
 *
 * <p>Thread-safe. Reads run concurrently; writes are serialized so the counters stay exact.
 */
public final class ObjectTable {
  public static final String OBJECTS = "objects";
  public static final String COUNTERS = "counters";

  private static final byte[] COUNT_KEY = Keys.ascii("object_count");
  private static final byte[] BYTES_KEY = Keys.ascii("object_bytes");
  private static final byte[] CLEAN_CLOSE_KEY = Keys.ascii("clean_close");
  private static final int ENTRY_BYTES = 16;

  private final IndexDatabase db;
  private final ObjectLayout layout;
  private final Family objects;
  private final Family counters;
  private final Object writes = new Object();
  private volatile long count; // written under writes
  private volatile long bytes;

  private ObjectTable(IndexDatabase db, ObjectLayout layout) {
    this.db = db;
    this.layout = layout;
    this.objects = db.family(OBJECTS);
    this.counters = db.family(COUNTERS);
  }

  /** The table of {@code db} (which must have the families {@link #OBJECTS} and {@link #COUNTERS}). */
  public static ObjectTable load(IndexDatabase db, ObjectLayout layout) throws IOException {
    ObjectTable t = new ObjectTable(db, layout);
    t.count = db.get(t.counters, COUNT_KEY, v -> Keys.decodeLong(v, "object_count counter")).orElse(0L);
    t.bytes = db.get(t.counters, BYTES_KEY, v -> Keys.decodeLong(v, "object_bytes counter")).orElse(0L);
    return t;
  }

  public static byte[] encode(ObjectEntry e) {
    return ByteBuffer.allocate(ENTRY_BYTES).putLong(e.size()).putLong(e.storedAtMillis()).array();
  }

  public static ObjectEntry decode(byte[] v) throws CorruptEntryException {
    Keys.requireLength(v, ENTRY_BYTES, OBJECTS);
    ByteBuffer b = ByteBuffer.wrap(v);
    long size = b.getLong();
    long storedAt = b.getLong();
    if (size < 0 || storedAt < 0) {
      throw new CorruptEntryException("objects value has a negative size or time: " + size + ", " + storedAt);
    }
    return new ObjectEntry(size, storedAt);
  }

  public ObjectLayout layout() {
    return layout;
  }

  /** Indexed objects; exact. */
  public long count() {
    return count;
  }

  /** Total size of the indexed objects; exact. */
  public long bytes() {
    return bytes;
  }

  public Optional<ObjectEntry> get(Digest d) throws IOException {
    return db.get(objects, Keys.digest(d), ObjectTable::decode);
  }

  /** Indexed and its file exists. */
  public boolean has(Digest d) throws IOException {
    return get(d).isPresent() && Files.isRegularFile(layout.path(d), LinkOption.NOFOLLOW_LINKS);
  }

  /** The digests not present (no entry or no file), in input order, each once. */
  public List<Digest> missing(Collection<Digest> digests) throws IOException {
    List<Digest> unique = new ArrayList<>(new LinkedHashSet<>(digests));
    Set<Digest> notIndexed = new HashSet<>(notIndexed(unique));
    List<Digest> result = new ArrayList<>();
    for (Digest d : unique) {
      if (notIndexed.contains(d) || !Files.isRegularFile(layout.path(d), LinkOption.NOFOLLOW_LINKS)) {
        result.add(d);
      }
    }
    return result;
  }

  /** The digests that have no entry, in input order. */
  public List<Digest> notIndexed(List<Digest> digests) throws IOException {
    List<byte[]> found = lookUp(digests);
    List<Digest> result = new ArrayList<>();
    for (int i = 0; i < digests.size(); i++) {
      if (found.get(i) == null) {
        result.add(digests.get(i));
      }
    }
    return result;
  }

  private List<byte[]> lookUp(List<Digest> digests) throws IOException {
    List<byte[]> keys = new ArrayList<>(digests.size());
    digests.forEach(d -> keys.add(Keys.digest(d)));
    return db.multiGet(objects, keys);
  }

  /** Records objects in one atomic batch; an entry already present is replaced, not recounted. */
  public void put(Map<Digest, ObjectEntry> entries) throws IOException {
    if (entries.isEmpty()) {
      return;
    }
    synchronized (writes) {
      List<Digest> keys = new ArrayList<>(entries.keySet());
      List<byte[]> old = lookUp(keys);
      long c = count;
      long b = bytes;
      IndexBatch batch = new IndexBatch();
      for (int i = 0; i < keys.size(); i++) {
        ObjectEntry e = entries.get(keys.get(i));
        batch.put(objects, Keys.digest(keys.get(i)), encode(e));
        if (old.get(i) == null) {
          c++;
          b += e.size();
        } else {
          byte[] previous = old.get(i);
          b += e.size() - db.decode(() -> decode(previous)).size();
        }
      }
      commit(batch, c, b);
    }
  }

  /** Removes entries in one atomic batch; absent digests are ignored. */
  public void delete(Collection<Digest> digests) throws IOException {
    if (digests.isEmpty()) {
      return;
    }
    synchronized (writes) {
      // Deduplicated, so a digest listed twice is not subtracted twice.
      List<Digest> keys = new ArrayList<>(new LinkedHashSet<>(digests));
      List<byte[]> old = lookUp(keys);
      long c = count;
      long b = bytes;
      IndexBatch batch = new IndexBatch();
      for (int i = 0; i < keys.size(); i++) {
        if (old.get(i) != null) {
          byte[] previous = old.get(i);
          batch.delete(objects, Keys.digest(keys.get(i)));
          c--;
          b -= db.decode(() -> decode(previous)).size();
        }
      }
      commit(batch, c, b);
    }
  }

  private void commit(IndexBatch batch, long c, long b) throws IOException {
    batch.put(counters, COUNT_KEY, Keys.encodeLong(c));
    batch.put(counters, BYTES_KEY, Keys.encodeLong(b));
    db.write(batch, Writes.RELAXED);
    count = c;
    bytes = b;
  }

  /** Visits the entries of one shard (two hex digits), or every entry if {@code shard} is "". */
  public void forEach(String shard, EntryAction action) throws IOException {
    if (!shard.isEmpty() && !ObjectLayout.SHARD.matcher(shard).matches()) {
      throw new IllegalArgumentException("shard must be two lowercase hex digits or empty, got " + shard);
    }
    byte[] prefix = shard.isEmpty() ? new byte[0] : new byte[] {(byte) Integer.parseInt(shard, 16)};
    db.scan(objects, prefix, (k, v) -> action.accept(Keys.digest(k, OBJECTS), decode(v)));
  }

  /**
   * Whether the last writer closed in order, consuming the answer: the marker is deleted (synced)
   * before this writer changes anything, so a crash from now on leaves none.
   */
  public boolean takeCleanClose() throws IOException {
    boolean clean = db.get(counters, CLEAN_CLOSE_KEY) != null;
    db.delete(counters, CLEAN_CLOSE_KEY, Writes.SYNCED);
    return clean;
  }

  /** Written last by an orderly close; synced, so it also makes every earlier WAL record durable. */
  public void markCleanClose() throws IOException {
    db.put(counters, CLEAN_CLOSE_KEY, new byte[] {1}, Writes.SYNCED);
  }

  /** Visits one object entry; may throw. */
  @FunctionalInterface
  public interface EntryAction {
    void accept(Digest d, ObjectEntry e) throws IOException;
  }
}
