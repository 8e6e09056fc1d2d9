package org.closurecache.server.store;

import java.io.IOException;
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
 *   quarantine/            files found in objects/ that do not belong there (never deleted)
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
