package org.closurecache.server.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.closurecache.store.index.Family;
import org.closurecache.store.index.IndexBatch;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.Keys;
import org.closurecache.store.index.Writes;

/**
 * The {@code tags} and {@code tag_history} column families of a {@link StoreIndex}: the current
 * value of each tag, and every value it has had keyed by {@code name + 0x00 + 8-byte big-endian
 * revision}, so bytewise key order is revision order and the current revision is the last key
 * of a tag's range. Writes are synced and serialized; thread-safe.
 */
final class TagTable {
  private final IndexDatabase db;
  private final Family tags;
  private final Family tagHistory;
  private final Object writes = new Object();

  TagTable(IndexDatabase db) {
    this.db = db;
    this.tags = db.family(StoreIndex.TAGS);
    this.tagHistory = db.family(StoreIndex.TAG_HISTORY);
  }

  /** {@code name + 0x00}: every history key of one tag starts with it. */
  static byte[] historyPrefix(String name) {
    byte[] key = Keys.tag(name);
    return Arrays.copyOf(key, key.length + 1);
  }

  /** {@code name + 0x00 + 8-byte big-endian revision}. */
  static byte[] historyKey(String name, long revision) {
    byte[] prefix = historyPrefix(name);
    return ByteBuffer.allocate(prefix.length + Long.BYTES).put(prefix).putLong(revision).array();
  }

  static long revisionOf(byte[] historyKey) {
    return ByteBuffer.wrap(historyKey, historyKey.length - Long.BYTES, Long.BYTES).getLong();
  }

  /** The current signed tag, if the tag exists. */
  Optional<byte[]> current(String name) throws IOException {
    return Optional.ofNullable(db.get(tags, Keys.tag(name)));
  }

  /** The tag's current revision, 0 when the tag does not exist. */
  long revision(String name) throws IOException {
    // History keys sort by revision, so the last key with this prefix is the current one;
    // revision -1 is 0xFF..FF, which sorts after every revision.
    return db.lastKey(tagHistory, historyPrefix(name), historyKey(name, -1L))
        .map(TagTable::revisionOf).orElse(0L);
  }

  /**
   * Makes {@code signedTag} the tag's current value and appends it to its history, atomically
   * and durably, iff {@code revision} is greater than the current revision.
   *
   * @throws TagRevisionConflictException if it is not (a replay or rollback)
   */
  void put(String name, long revision, byte[] signedTag) throws IOException {
    put(name, revision, signedTag, () -> {});
  }

  /** As {@link #put(String, long, byte[])}, running {@code beforeCommit} after the check, before the write. */
  void put(String name, long revision, byte[] signedTag, BeforeCommit beforeCommit) throws IOException {
    if (revision <= 0) {
      throw new IllegalArgumentException("tag revision must be positive, got " + revision);
    }
    byte[] key = Keys.tag(name);
    synchronized (writes) {
      long current = revision(name);
      if (revision <= current) {
        throw new TagRevisionConflictException(name, current, revision);
      }
      beforeCommit.run();
      db.write(new IndexBatch()
          .put(tags, key, signedTag)
          .put(tagHistory, historyKey(name, revision), signedTag), Writes.SYNCED);
    }
  }

  /**
   * Sets one history entry as it is, without the revision check, and makes it current if no
   * higher revision is known: for making the index agree with the tag files.
   */
  void restore(String name, long revision, byte[] signedTag) throws IOException {
    synchronized (writes) {
      IndexBatch batch = new IndexBatch().put(tagHistory, historyKey(name, revision), signedTag);
      if (revision >= revision(name)) {
        batch.put(tags, Keys.tag(name), signedTag);
      }
      db.write(batch, Writes.SYNCED);
    }
  }

  /** Every tag's history: name → revision → signed record. */
  java.util.Map<String, java.util.TreeMap<Long, byte[]>> all() throws IOException {
    java.util.Map<String, java.util.TreeMap<Long, byte[]>> out = new java.util.TreeMap<>();
    db.scan(tagHistory, new byte[0], (k, v) -> {
      if (k.length < Long.BYTES + 2 || k[k.length - Long.BYTES - 1] != 0) {
        throw new org.closurecache.store.index.CorruptEntryException("tag_history key of " + k.length + " bytes");
      }
      String name = Keys.tagName(Arrays.copyOf(k, k.length - Long.BYTES - 1));
      out.computeIfAbsent(name, n -> new java.util.TreeMap<>()).put(revisionOf(k), v);
    });
    return out;
  }

  /** Runs between the revision check and the index write of a tag. */
  @FunctionalInterface
  interface BeforeCommit {
    void run() throws IOException;
  }

  /** Every value the tag has had, oldest revision first. */
  List<byte[]> history(String name) throws IOException {
    List<byte[]> history = new ArrayList<>();
    db.scan(tagHistory, historyPrefix(name), (k, v) -> history.add(v));
    return history;
  }
}
