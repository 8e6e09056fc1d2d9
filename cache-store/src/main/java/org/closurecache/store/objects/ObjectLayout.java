package org.closurecache.store.objects;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;
import org.closurecache.core.digest.Digest;

/**
 * Where object files live: {@code objects/ab/<64 hex>}, sharded by the first hex pair of the
 * digest, so no directory holds more than 1/256 of the objects. The only class that builds object
 * paths; each side's root layout hands one out. Immutable and thread-safe.
 */
public final class ObjectLayout {
  /** A shard directory's name. */
  public static final Pattern SHARD = Pattern.compile("[0-9a-f]{2}");
  /** An object file's name. */
  public static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  private final Path dir;

  private ObjectLayout(Path dir) {
    this.dir = dir;
  }

  /** The object files under {@code objectsDir} (absolute or made so). */
  public static ObjectLayout at(Path objectsDir) {
    Objects.requireNonNull(objectsDir, "objectsDir");
    return new ObjectLayout(objectsDir.toAbsolutePath().normalize());
  }

  /** {@code objects/}. */
  public Path dir() {
    return dir;
  }

  /** {@code objects/<first 2 hex>}, the directory that holds {@code d}. */
  public Path shardDir(Digest d) {
    return dir.resolve(d.shard());
  }

  /** {@code objects/<first 2 hex>/<64 hex>}. */
  public Path path(Digest d) {
    return shardDir(d).resolve(d.hex());
  }

  @Override
  public String toString() {
    return "ObjectLayout[" + dir + "]";
  }
}
