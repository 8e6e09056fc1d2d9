package org.closurecache.client.cache;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.closurecache.core.digest.Digest;

/**
 * What {@link NodeCache#rebuildIndex} did.
 *
 * @param oldIndex where the old index was moved (delete it once the cache works), if there was one
 * @param objects object files indexed
 * @param manifests stored manifests kept (their signatures verified again)
 * @param complete of those, closures whose every object is present
 * @param pins pins kept
 * @param tags tags kept, with their revisions (the node's rollback floors)
 * @param rejected manifests, and tags by name, that failed verification and went to quarantine
 * @param notRecovered what the files could not give back, one sentence each
 */
public record RebuildReport(Optional<Path> oldIndex, long objects, int manifests, int complete, int pins, int tags,
    List<String> rejected, List<String> notRecovered) {
  public RebuildReport {
    Objects.requireNonNull(oldIndex, "oldIndex");
    if (objects < 0 || manifests < 0 || complete < 0 || pins < 0 || tags < 0) {
      throw new IllegalArgumentException("rebuild counts must not be negative");
    }
    rejected = List.copyOf(rejected);
    notRecovered = List.copyOf(notRecovered);
  }

  static String rejectedManifest(Digest d, String why) {
    return "manifest " + d + ": " + why;
  }
}
