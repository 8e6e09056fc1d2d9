package org.closurecache.server.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.objects.ObjectLayout;

/**
 * The only class that builds paths under a store root.
 *
 * <pre>
 * root/
 *   objects/ab/&lt;64 hex&gt;   verified object files, read-only (0444), sharded by first hex pair
 *   tmp/                   uploads in progress; emptied at startup; same filesystem as objects/
 *   index/                 the RocksDB database ({@link StoreIndex})
 *   quarantine/            files found in objects/, manifests/ or tags/ that do not belong there
 *                          (never deleted)
 *   manifests/ab/&lt;64 hex&gt; the signed manifest envelopes as uploaded (0444)
 *   tags/&lt;name hash&gt;/&lt;revision&gt;  every signed record of every tag (0444)
 *   format                 "2": manifests and tags are files, the index is derived from them
 * </pre>
 *
 * Immutable and thread-safe.
 */
public final class StoreLayout {
  private final Path root;

  private StoreLayout(Path root) {
    this.root = root;
  }

  public static StoreLayout at(Path root) {
    Objects.requireNonNull(root, "root");
    return new StoreLayout(root.toAbsolutePath().normalize());
  }

  public Path root() {
    return root;
  }

  public Path objectsDir() {
    return root.resolve("objects");
  }

  /** The object files' own layout ({@code objects/ab/<hex>}). */
  public ObjectLayout objects() {
    return ObjectLayout.at(objectsDir());
  }

  public Path tmpDir() {
    return root.resolve("tmp");
  }

  public Path indexDir() {
    return root.resolve("index");
  }

  public Path quarantineDir() {
    return root.resolve("quarantine");
  }

  /** Stored signed manifests: the truth the index's manifest entries are derived from. */
  public Path manifestsDir() {
    return root.resolve("manifests");
  }

  /** {@code manifests/<first 2 hex>/<64 hex>}: the signed envelope as uploaded. */
  public Path manifestPath(Digest manifest) {
    return manifestsDir().resolve(manifest.shard()).resolve(manifest.hex());
  }

  /** Every revision of every tag, one directory per tag. */
  public Path tagsDir() {
    return root.resolve("tags");
  }

  /**
   * {@code tags/<hex of SHA-256 of the UTF-8 name>}: a tag name (up to 255 bytes, any character
   * but NUL) cannot always be a file name, its hash can; the signed records inside hold the name.
   */
  public Path tagDir(String name) {
    return tagsDir().resolve(Digest.of(name.getBytes(StandardCharsets.UTF_8)).hex());
  }

  /** {@code tags/<name hash>/<revision, 20 digits>}: the signed tag record of that revision. */
  public Path tagPath(String name, long revision) {
    if (revision < 1) {
      throw new IllegalArgumentException("tag revision must be positive, got " + revision);
    }
    return tagDir(name).resolve(String.format("%020d", revision));
  }

  /** {@code format}: present (holding {@code 2}) once manifests and tags are kept as files. */
  public Path formatFile() {
    return root.resolve("format");
  }

  /** The shard directory {@code objects/<first 2 hex>} that holds {@code d}. */
  public Path shardDir(Digest d) {
    return objects().shardDir(d);
  }

  /** {@code objects/<first 2 hex>/<64 hex>}. */
  public Path objectPath(Digest d) {
    return objects().path(d);
  }

  /**
   * A new, empty, uniquely named file in {@code tmp/}. It lives beside {@code objects/} so that
   * publishing it is a rename within one filesystem, which is atomic.
   */
  public Path newTempFile() throws IOException {
    return Files.createTempFile(tmpDir(), "upload-", ".tmp");
  }

  /** Creates the directories above; idempotent. */
  public void create() throws IOException {
    Files.createDirectories(objectsDir());
    Files.createDirectories(tmpDir());
    Files.createDirectories(indexDir());
    // Make the directory entries themselves durable, so a crash cannot lose objects/ after an
    // object was renamed into it.
    Durability.fsyncDirectory(root);
  }

  @Override
  public String toString() {
    return "StoreLayout[" + root + "]";
  }
}
