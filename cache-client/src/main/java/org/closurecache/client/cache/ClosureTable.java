package org.closurecache.client.cache;

import java.io.IOException;
import java.util.Collection;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.closurecache.client.cache.CacheCodec.ClosureState;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.Family;
import org.closurecache.store.index.IndexBatch;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.Keys;
import org.closurecache.store.index.Writes;

/**
 * The {@code manifests} and {@code closures} families: each stored signed envelope, and beside it
 * the closure's flags (complete, pinned) and last-used time. A manifest and its closure record are
 * created together and removed together.
 *
 * <p>Manifests and flags are written synced: because the WAL is one log, a synced write also makes
 * every earlier object entry durable, so "complete" never survives a power loss that its objects'
 * entries did not. Last-used times are hints and are not synced.
 *
 * <p>Thread-safe; read-modify-write updates of closure records are serialized.
 */
final class ClosureTable {
  private final IndexDatabase db;
  private final Family manifests;
  private final Family closures;
  private final Object writes = new Object();

  ClosureTable(IndexDatabase db) {
    this.db = db;
    this.manifests = db.family(CacheIndex.MANIFESTS);
    this.closures = db.family(CacheIndex.CLOSURES);
  }

  /** Stores the envelope; creates the closure record (incomplete, unpinned) if there is none. */
  void putManifest(Digest d, byte[] envelope, long nowMillis) throws IOException {
    byte[] key = Keys.digest(d);
    synchronized (writes) {
      IndexBatch batch = new IndexBatch().put(manifests, key, envelope);
      if (db.get(closures, key) == null) {
        batch.put(closures, key, CacheCodec.encode(new ClosureState(false, false, nowMillis)));
      }
      db.write(batch, Writes.SYNCED);
    }
  }

  Optional<byte[]> manifest(Digest d) throws IOException {
    return Optional.ofNullable(db.get(manifests, Keys.digest(d)));
  }

  Optional<ClosureState> state(Digest d) throws IOException {
    return db.get(closures, Keys.digest(d), CacheCodec::decodeClosure);
  }

  /**
   * Replaces the closure record of a stored manifest with {@code change} applied to it.
   *
   * @throws IllegalStateException if the manifest is not stored here
   */
  void update(Digest d, boolean sync, UnaryOperator<ClosureState> change) throws IOException {
    byte[] key = Keys.digest(d);
    synchronized (writes) {
      byte[] v = db.get(closures, key);
      if (v == null && db.get(manifests, key) == null) {
        throw new IllegalStateException("manifest " + d + " is not in this cache; pull it first");
      }
      ClosureState old = v == null ? new ClosureState(false, false, 0) : db.decode(() -> CacheCodec.decodeClosure(v));
      ClosureState changed = change.apply(old);
      if (!changed.equals(old) || v == null) {
        db.put(closures, key, CacheCodec.encode(changed), sync ? Writes.SYNCED : Writes.RELAXED);
      }
    }
  }

  /** Deletes manifests with their closure records, in one synced batch. */
  void remove(Collection<Digest> digests) throws IOException {
    if (digests.isEmpty()) {
      return;
    }
    synchronized (writes) {
      IndexBatch batch = new IndexBatch();
      for (Digest d : digests) {
        batch.delete(manifests, Keys.digest(d)).delete(closures, Keys.digest(d));
      }
      db.write(batch, Writes.SYNCED);
    }
  }

  /** Every closure record by manifest, without reading the envelopes. */
  java.util.Map<Digest, ClosureState> states() throws IOException {
    java.util.Map<Digest, ClosureState> out = new java.util.TreeMap<>();
    db.scan(closures, new byte[0], (k, v) -> out.put(Keys.digest(k, CacheIndex.CLOSURES), CacheCodec.decodeClosure(v)));
    return out;
  }

  /** Visits every stored manifest with its closure record (a default one if it lacks it). */
  void forEach(ManifestAction action) throws IOException {
    db.scan(manifests, new byte[0], (k, v) -> {
      byte[] s = db.get(closures, k);
      ClosureState state = s == null ? new ClosureState(false, false, 0) : CacheCodec.decodeClosure(s);
      action.accept(Keys.digest(k, CacheIndex.MANIFESTS), v, state);
    });
  }

  @FunctionalInterface
  interface ManifestAction {
    void accept(Digest manifest, byte[] envelope, ClosureState state) throws IOException;
  }
}
