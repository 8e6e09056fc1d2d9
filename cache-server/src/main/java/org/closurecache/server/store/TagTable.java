package org.closurecache.server.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The {@code tags} and {@code tag_history} column families of a {@link StoreIndex}: the current
 * value of each tag, and every value it has had keyed by {@code name + 0x00 + 8-byte big-endian
 * revision}, so bytewise key order is revision order and the current revision is the last key
 * of a tag's range. Writes are synced and serialized; thread-safe.
 */
final class TagTable {
  private final IndexDatabase rocks;
  private final ColumnFamilyHandle tags;
  private final ColumnFamilyHandle tagHistory;
  private final Object writes = new Object();

  TagTable(IndexDatabase rocks) {
    this.rocks = rocks;
    this.tags = rocks.family(IndexDatabase.TAGS);
    this.tagHistory = rocks.family(IndexDatabase.TAG_HISTORY);
  }

  /** The current signed tag, if the tag exists. */
  Optional<byte[]> current(String name) throws IOException {
    byte[] key = IndexCodec.tagKey(name);
    return rocks.call("read tag " + name, () -> Optional.ofNullable(rocks.db.get(tags, key)));
  }

  /** The tag's current revision, 0 when the tag does not exist. */
  long revision(String name) throws IOException {
    byte[] prefix = IndexCodec.historyPrefix(name);
    // History keys sort by revision, so the last key with this prefix is the current one.
    byte[] upperBound = IndexCodec.historyKey(name, -1L); // 0xFF..FF sorts after every revision
    return rocks.call("read revision of tag " + name, () -> {
      try (RocksIterator it = rocks.db.newIterator(tagHistory)) {
        it.seekForPrev(upperBound);
        if (it.isValid() && IndexCodec.startsWith(it.key(), prefix)) {
          return IndexCodec.revisionOf(it.key());
        }
        it.status();
        return 0L;
      }
    });
  }

  /**
   * Makes {@code signedTag} the tag's current value and appends it to its history, atomically
   * and durably, iff {@code revision} is greater than the current revision.
   *
   * @throws TagRevisionConflictException if it is not (a replay or rollback)
   */
  void put(String name, long revision, byte[] signedTag) throws IOException {
    if (revision <= 0) {
      throw new IllegalArgumentException("tag revision must be positive, got " + revision);
    }
    byte[] key = IndexCodec.tagKey(name);
    synchronized (writes) {
      long current = revision(name);
      if (revision <= current) {
        throw new TagRevisionConflictException(name, current, revision);
      }
      rocks.call("write tag " + name, () -> {
        try (WriteBatch batch = new WriteBatch()) {
          batch.put(tags, key, signedTag);
          batch.put(tagHistory, IndexCodec.historyKey(name, revision), signedTag);
          rocks.db.write(rocks.syncedWrites, batch);
        }
        return null;
      });
    }
  }

  /** Every value the tag has had, oldest revision first. */
  List<byte[]> history(String name) throws IOException {
    List<byte[]> history = new ArrayList<>();
    rocks.scan(tagHistory, IndexCodec.historyPrefix(name), "tag_history", (k, v) -> history.add(v));
    return history;
  }
}
