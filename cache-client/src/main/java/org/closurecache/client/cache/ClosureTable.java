package org.closurecache.client.cache;

import java.io.IOException;
import java.util.Collection;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.closurecache.client.cache.CacheCodec.ClosureState;
import org.closurecache.core.digest.Digest;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The {@code manifests} and {@code closures} families: each stored signed envelope, and beside it
 * the closure's flags (complete, pinned) and last-used time. A manifest and its closure record are
 * created together and removed together.
 *
 * <p>Manifests and flags are written with a synced WAL: nothing on disk could rebuild them, and
 * because the WAL is one log, a synced write also makes every earlier object entry durable, so
 * "complete" never survives a power loss that its objects' entries did not. Last-used times are
 * hints and are not synced.
 *
 * <p>Thread-safe; read-modify-write updates of closure records are serialized.
 */
final class ClosureTable {
  private final CacheDatabase rocks;
  private final ColumnFamilyHandle manifests;
  private final ColumnFamilyHandle closures;
  private final Object writes = new Object();

  ClosureTable(CacheDatabase rocks) {
    this.rocks = rocks;
    this.manifests = rocks.family(CacheDatabase.MANIFESTS);
    this.closures = rocks.family(CacheDatabase.CLOSURES);
  }

  /** Stores the envelope; creates the closure record (incomplete, unpinned) if there is none. */
  void putManifest(Digest d, byte[] envelope, long nowMillis) throws IOException {
    byte[] key = CacheCodec.key(d);
    synchronized (writes) {
      rocks.call("write manifest " + d, () -> {
        try (WriteBatch batch = new WriteBatch()) {
          batch.put(manifests, key, envelope);
          if (rocks.db.get(closures, key) == null) {
            batch.put(closures, key, CacheCodec.encode(new ClosureState(false, false, nowMillis)));
          }
          rocks.db.write(rocks.syncedWrites, batch);
        }
        return null;
      });
    }
  }

  Optional<byte[]> manifest(Digest d) throws IOException {
    return rocks.call("read manifest " + d,
        () -> Optional.ofNullable(rocks.db.get(manifests, CacheCodec.key(d))));
  }

  Optional<ClosureState> state(Digest d) throws IOException {
    return rocks.call("read closure " + d, () -> {
      byte[] v = rocks.db.get(closures, CacheCodec.key(d));
      return v == null ? Optional.empty() : Optional.of(CacheCodec.decodeClosure(v));
    });
  }

  /**
   * Replaces the closure record of a stored manifest with {@code change} applied to it.
   *
   * @throws IllegalStateException if the manifest is not stored here
   */
  void update(Digest d, boolean sync, UnaryOperator<ClosureState> change) throws IOException {
    byte[] key = CacheCodec.key(d);
    WriteOptions options = sync ? rocks.syncedWrites : rocks.relaxedWrites;
    synchronized (writes) {
      rocks.call("update closure " + d, () -> {
        byte[] v = rocks.db.get(closures, key);
        if (v == null && rocks.db.get(manifests, key) == null) {
          throw new IllegalStateException("manifest " + d + " is not in this cache; pull it first");
        }
        ClosureState old = v == null ? new ClosureState(false, false, 0) : CacheCodec.decodeClosure(v);
        ClosureState changed = change.apply(old);
        if (!changed.equals(old) || v == null) {
          rocks.db.put(closures, options, key, CacheCodec.encode(changed));
        }
        return null;
      });
    }
  }

  /** Deletes manifests with their closure records, in one synced batch. */
  void remove(Collection<Digest> digests) throws IOException {
    if (digests.isEmpty()) {
      return;
    }
    synchronized (writes) {
      rocks.call("remove " + digests.size() + " manifests", () -> {
        try (WriteBatch batch = new WriteBatch()) {
          for (Digest d : digests) {
            batch.delete(manifests, CacheCodec.key(d));
            batch.delete(closures, CacheCodec.key(d));
          }
          rocks.db.write(rocks.syncedWrites, batch);
        }
        return null;
      });
    }
  }

  /** Visits every stored manifest with its closure record (a default one if it lacks it). */
  void forEach(ManifestAction action) throws IOException {
    rocks.scan(manifests, new byte[0], "manifests", (k, v) -> {
      byte[] s = rocks.db.get(closures, k);
      ClosureState state = s == null ? new ClosureState(false, false, 0) : CacheCodec.decodeClosure(s);
      action.accept(CacheCodec.digest(k, "manifests"), v, state);
    });
  }

  @FunctionalInterface
  interface ManifestAction {
    void accept(Digest manifest, byte[] envelope, ClosureState state) throws IOException;
  }
}
