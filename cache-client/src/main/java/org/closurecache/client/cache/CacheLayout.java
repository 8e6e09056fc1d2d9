package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.closurecache.core.digest.Digest;

/**
 * The only class that builds paths under a node cache root.
 *
 * <pre>
 * root/
 *   objects/ab/&lt;64 hex&gt;   verified, durable object files, read-only (0444), sharded by first hex pair
 *   tmp/                   downloads in progress; same filesystem as objects/ so publishing is a
 *                          rename; emptied whenever a writer opens the cache
 *   index/                 the RocksDB database (objects, manifests, closures, tags, counters)
 *   lock                   held with an exclusive file lock by the one writing process; holds its pid
 *   quarantine/            files taken out of objects/ (corrupt or misplaced); never deleted
 * </pre>
 *
 * Immutable and thread-safe.
 */
public final class CacheLayout {
  private final Path root;

  private CacheLayout(Path root) {
    this.root = root;
  }

  public static CacheLayout at(Path root) {
    Objects.requireNonNull(root, "root");
    return new CacheLayout(root.toAbsolutePath().normalize());
  }

  public Path root() {
    return root;
  }

  public Path objectsDir() {
    return root.resolve("objects");
  }

  public Path tmpDir() {
    return root.resolve("tmp");
  }

  public Path indexDir() {
    return root.resolve("index");
  }

  public Path lockFile() {
    return root.resolve("lock");
  }

  /** Lock files of jobs running from the cache ({@code running/<manifest hex>}); see RunningJobs. */
  public Path runningDir() {
    return root.resolve("running");
  }

  /** Per-manifest views ({@code views/<manifest hex>/root} and {@code /plan}), built by exec-shim. */
  public Path viewsDir() {
    return root.resolve("views");
  }

  /** {@code views/<manifest hex>}: the view tree ({@code root/}) and launch plan ({@code plan/}). */
  public Path viewDir(Digest manifest) {
    return viewsDir().resolve(manifest.hex());
  }

  /** Copies of objects with other presentation attributes (mode, mtime) than the object file has. */
  public Path variantsDir() {
    return root.resolve("variants");
  }

  /** {@code variants/<first 2 hex>/<64 hex>-<mode, 4 octal digits>-<mtime seconds>}. */
  public Path variantPath(Digest object, int mode, long mtimeSeconds) {
    return variantsDir().resolve(object.shard())
        .resolve(object.hex() + "-" + String.format("%04o", mode) + "-" + mtimeSeconds);
  }

  public Path quarantineDir() {
    return root.resolve("quarantine");
  }

  /** {@code objects/<first 2 hex>}, the directory that holds {@code d}. */
  public Path shardDir(Digest d) {
    return objectsDir().resolve(d.shard());
  }

  /** {@code objects/<first 2 hex>/<64 hex>}. */
  public Path objectPath(Digest d) {
    return shardDir(d).resolve(d.hex());
  }

  /**
   * A new, empty, uniquely named file in {@code tmp/}: beside {@code objects/}, so that publishing
   * it is an atomic rename within one filesystem, and inside the filesystem that one
   * {@code syncfs} makes durable. Only a process holding the cache's lock should create these:
   * the next writer to open the cache deletes whatever is in {@code tmp/}.
   */
  public Path newTempFile() throws IOException {
    return Files.createTempFile(tmpDir(), "fetch-", ".tmp");
  }

  /** Creates the directories above (not the lock file); idempotent. */
  public void create() throws IOException {
    Files.createDirectories(objectsDir());
    Files.createDirectories(tmpDir());
    Files.createDirectories(indexDir());
    Files.createDirectories(quarantineDir());
    // The directory entries themselves must survive a crash, or objects renamed into objects/
    // could vanish with it.
    Durability.fsyncDirectory(root);
  }

  @Override
  public String toString() {
    return "CacheLayout[" + root + "]";
  }
}
