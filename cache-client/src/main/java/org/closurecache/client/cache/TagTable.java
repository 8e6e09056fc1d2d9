package org.closurecache.client.cache;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.closurecache.client.cache.CacheCodec.TagEntry;
import org.closurecache.core.digest.Digest;
import org.rocksdb.ColumnFamilyHandle;

/**
 * The {@code tags} family: for each tag name the highest revision this node has accepted and the
 * manifest it named. The entry outlives the manifest (GC may evict the closure) because the
 * revision is the node's defence against a replayed older tag. Writes are synced and serialized,
 * so the check and the write are atomic. Thread-safe.
 */
final class TagTable {
  private final CacheDatabase rocks;
  private final ColumnFamilyHandle tags;
  private final Object writes = new Object();

  TagTable(CacheDatabase rocks) {
    this.rocks = rocks;
    this.tags = rocks.family(CacheDatabase.TAGS);
  }

  Optional<TagEntry> get(String name) throws IOException {
    byte[] key = CacheCodec.tagKey(name);
    return rocks.call("read tag " + name, () -> {
      byte[] v = rocks.db.get(tags, key);
      return v == null ? Optional.empty() : Optional.of(CacheCodec.decodeTag(v));
    });
  }

  /**
   * Accepts {@code revision → manifest} unless it would go back: a lower revision, or the same
   * revision naming another manifest, is refused. Re-recording the current value is a no-op.
   */
  void record(String name, long revision, Digest manifest, byte[] signed) throws IOException {
    if (revision < 1) {
      throw new IllegalArgumentException("tag revision must be positive, got " + revision);
    }
    byte[] key = CacheCodec.tagKey(name);
    synchronized (writes) {
      Optional<TagEntry> seen = get(name);
      if (seen.isPresent()) {
        TagEntry s = seen.get();
        if (revision < s.revision()) {
          throw TagRollbackRefusedException.rollback(name, revision, s.revision());
        }
        if (revision == s.revision()) {
          if (!s.manifest().equals(manifest)) {
            throw TagRollbackRefusedException.conflict(name, revision, s.manifest().toString(),
                manifest.toString());
          }
          return;
        }
      }
      byte[] value = CacheCodec.encode(new TagEntry(revision, manifest, signed));
      rocks.call("write tag " + name, () -> {
        rocks.db.put(tags, rocks.syncedWrites, key, value);
        return null;
      });
    }
  }

  /** Tag names by the manifest they point at, each list in name order. */
  Map<Digest, List<String>> byManifest() throws IOException {
    Map<Digest, List<String>> out = new HashMap<>();
    rocks.scan(tags, new byte[0], "tags", (k, v) ->
        out.computeIfAbsent(CacheCodec.decodeTag(v).manifest(), m -> new ArrayList<>())
            .add(CacheCodec.tagName(k)));
    return out;
  }
}
