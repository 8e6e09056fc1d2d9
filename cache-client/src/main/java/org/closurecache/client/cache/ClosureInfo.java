package org.closurecache.client.cache;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.closurecache.core.digest.Digest;

/** One stored manifest and its closure's state. */
public record ClosureInfo(Digest manifest, String entry, int objects, long bytes, boolean complete,
    boolean pinned, Instant lastUsed, List<String> tags) {
  public ClosureInfo {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(lastUsed, "lastUsed");
    if (objects < 0 || bytes < 0) {
      throw new IllegalArgumentException("objects and bytes must not be negative");
    }
    tags = List.copyOf(tags);
  }
}
