package org.closurecache.server.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.Family;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.IndexLockedException;
import org.closurecache.store.index.IndexSpec;
import org.closurecache.store.index.Keys;
import org.closurecache.store.index.Writes;
import org.closurecache.store.objects.ObjectEntry;
import org.closurecache.store.objects.ObjectLayout;
import org.closurecache.store.objects.ObjectTable;

/**
 * The store's one RocksDB database ({@link IndexDatabase}, with the master's memory budget).
 *
 * <p>Column families (all integers big-endian): {@code objects} and {@code counters} as {@link
 * ObjectTable} defines them; {@code manifests} raw digest → signed envelope bytes; {@code tags}
 * UTF-8 name → current signed tag bytes; {@code tag_history} name + 0x00 + 8-byte revision →
 * signed tag bytes ({@link TagTable}). {@code default} is unused.
 *
 * <p>Durability: object entries are written relaxed (an entry is written only after its object
 * file and directory were fsynced, and {@link ObjectStore#reconcile()} re-indexes files that have
 * no entry; syncing each entry would double the fsyncs per upload). Manifests and tags are written
 * synced: a tag must never roll back.
 *
 * <p>Thread-safe. Reads run concurrently; object writes are serialized (so the counters stay
 * exact), and so are tag writes (so the revision check and the write are atomic). {@link
 * #close()} waits for operations in flight; later calls throw {@link IllegalStateException}.
 * Callbacks of the {@code forEach} methods may read and write the index but must not close it.
 */
public final class StoreIndex implements AutoCloseable {
  static final String MANIFESTS = "manifests";
  static final String TAGS = "tags";
  static final String TAG_HISTORY = "tag_history";

  static IndexSpec spec() {
    return new IndexSpec("store index",
        List.of(ObjectTable.OBJECTS, MANIFESTS, TAGS, TAG_HISTORY, ObjectTable.COUNTERS),
        IndexSpec.Memory.MASTER,
        dir -> "stop the cache-server on this store and run `cache-server fsck --rebuild-index --store "
            + dir.getParent() + "`: it rebuilds the index from the object, manifest and tag files",
        "a cache-server may already be running on this store; stop it or choose another store root");
  }

  private final Path dir;
  private final IndexDatabase db;
  private final ObjectTable objects;
  private final Family manifests;
  private final TagTable tagTable;

  private StoreIndex(Path dir, IndexDatabase db, ObjectTable objects) {
    this.dir = dir;
    this.db = db;
    this.objects = objects;
    this.manifests = db.family(MANIFESTS);
    this.tagTable = new TagTable(db);
  }

  /**
   * Opens (creating if needed) the database in {@code dir}, for the objects of {@code objectsDir}.
   *
   * @throws IndexLockedException if another open instance holds the database's lock
   */
  public static StoreIndex open(Path dir, ObjectLayout objectFiles) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    IndexDatabase db = IndexDatabase.open(abs, spec());
    try {
      return new StoreIndex(abs, db, ObjectTable.load(db, objectFiles));
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** As {@link #open(Path, ObjectLayout)} for a store whose index is {@code <root>/index}. */
  public static StoreIndex open(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath().normalize();
    return open(abs, StoreLayout.at(abs.getParent()).objects());
  }

  public Path dir() {
    return dir;
  }

  /** The object table: entries, exact counters, the clean-close marker. */
  public ObjectTable objects() {
    return objects;
  }

  public Optional<ObjectEntry> object(Digest d) throws IOException {
    return objects.get(d);
  }

  /** The digests with no object entry, in input order. */
  public List<Digest> missing(List<Digest> digests) throws IOException {
    return objects.notIndexed(digests);
  }

  /**
   * Records objects in one atomic batch. Entries already present are overwritten (refreshing
   * storedAt) without being counted twice.
   */
  public void putObjects(Map<Digest, ObjectEntry> records) throws IOException {
    objects.put(records);
  }

  /** Removes object entries in one atomic batch; absent digests are ignored. */
  public void deleteObjects(Collection<Digest> digests) throws IOException {
    objects.delete(digests);
  }

  /** Visits every object entry in digest order. */
  public void forEachObject(ObjectTable.EntryAction action) throws IOException {
    objects.forEach("", action);
  }

  /** Visits the object entries whose digest starts with the two hex digits {@code shard}. */
  public void forEachObjectInShard(String shard, ObjectTable.EntryAction action) throws IOException {
    if (shard.isEmpty()) {
      throw new IllegalArgumentException("shard must be two lowercase hex digits, got an empty string");
    }
    objects.forEach(shard, action);
  }

  public long objectCount() {
    return objects.count();
  }

  public long objectBytes() {
    return objects.bytes();
  }

  public Optional<byte[]> manifest(Digest d) throws IOException {
    return Optional.ofNullable(db.get(manifests, Keys.digest(d)));
  }

  public void putManifest(Digest d, byte[] envelope) throws IOException {
    db.put(manifests, Keys.digest(d), envelope, Writes.SYNCED);
  }

  /** Visits every stored manifest in digest order. */
  public void forEachManifest(ManifestAction action) throws IOException {
    db.scan(manifests, new byte[0], (k, v) -> action.accept(Keys.digest(k, MANIFESTS), v));
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

  /** The tag table, for the store's own file-then-index writes and reconciliation. */
  TagTable tags() {
    return tagTable;
  }

  /** Removes manifest entries (their files are gone). */
  void deleteManifests(java.util.Collection<Digest> digests) throws IOException {
    org.closurecache.store.index.IndexBatch batch = new org.closurecache.store.index.IndexBatch();
    digests.forEach(d -> batch.delete(manifests, Keys.digest(d)));
    db.write(batch, Writes.SYNCED);
  }

  /** The digests of the stored manifests, without reading their envelopes' bytes into a list. */
  java.util.Set<Digest> manifestDigests() throws IOException {
    java.util.Set<Digest> out = new java.util.TreeSet<>();
    db.scan(manifests, new byte[0], (k, v) -> out.add(Keys.digest(k, MANIFESTS)));
    return out;
  }

  /** Every value the tag has had, oldest revision first. */
  public List<byte[]> tagHistory(String name) throws IOException {
    return tagTable.history(name);
  }

  /** Closes the database; idempotent. Waits for operations in flight. */
  @Override
  public void close() {
    db.close();
  }

  @Override
  public String toString() {
    return "StoreIndex[" + dir + "]";
  }

  /** Visits one stored manifest; may throw. */
  @FunctionalInterface
  public interface ManifestAction {
    void accept(Digest manifest, byte[] envelope) throws IOException;
  }
}
