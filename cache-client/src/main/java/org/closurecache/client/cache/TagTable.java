package org.closurecache.client.cache;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.closurecache.client.cache.CacheCodec.TagEntry;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.Family;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.Keys;
import org.closurecache.store.index.Writes;

/**
 * The {@code tags} family: for each tag name the highest revision this node has accepted and the
 * manifest it named. The entry outlives the manifest (GC may evict the closure) because the
 * revision is the node's defence against a replayed older tag. Writes are synced and serialized,
 * so the check and the write are atomic. Thread-safe.
 */
final class TagTable {
  private final IndexDatabase db;
  private final Family tags;
  private final RecordFiles files;
  private final Object writes = new Object();

  /** The table of {@code db}; with {@code files} (a writer), every accepted tag is also kept as a file. */
  TagTable(IndexDatabase db, RecordFiles files) {
    this.db = db;
    this.tags = db.family(CacheIndex.TAGS);
    this.files = files;
  }

  Optional<TagEntry> get(String name) throws IOException {
    return db.get(tags, Keys.tag(name), CacheCodec::decodeTag);
  }

  /**
   * Accepts {@code revision → manifest} unless it would go back: a lower revision, or the same
   * revision naming another manifest, is refused. Re-recording the current value is a no-op.
   */
  void record(String name, long revision, Digest manifest, byte[] signed) throws IOException {
    if (revision < 1) {
      throw new IllegalArgumentException("tag revision must be positive, got " + revision);
    }
    byte[] key = Keys.tag(name);
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
      TagEntry entry = new TagEntry(revision, manifest, signed);
      files.writeTag(name, entry); // the file first: it is what a rebuilt index keeps
      db.put(tags, key, CacheCodec.encode(entry), Writes.SYNCED);
    }
  }

  /** Sets the entry as it is, without the rollback check: for making the index agree with the files. */
  void restore(String name, TagEntry entry) throws IOException {
    synchronized (writes) {
      db.put(tags, Keys.tag(name), CacheCodec.encode(entry), Writes.SYNCED);
    }
  }

  /** Every entry by name. */
  Map<String, TagEntry> all() throws IOException {
    Map<String, TagEntry> out = new java.util.TreeMap<>();
    db.scan(tags, new byte[0], (k, v) -> out.put(Keys.tagName(k), CacheCodec.decodeTag(v)));
    return out;
  }

  /** Tag names by the manifest they point at, each list in name order. */
  Map<Digest, List<String>> byManifest() throws IOException {
    Map<Digest, List<String>> out = new HashMap<>();
    db.scan(tags, new byte[0], (k, v) ->
        out.computeIfAbsent(CacheCodec.decodeTag(v).manifest(), m -> new ArrayList<>()).add(Keys.tagName(k)));
    return out;
  }
}
