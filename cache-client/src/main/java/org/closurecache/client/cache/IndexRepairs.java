package org.closurecache.client.cache;

import java.util.List;
import org.closurecache.core.digest.Digest;

/**
 * Where the index's manifests, pins and tags disagreed with the files they are derived from, and
 * were made to agree ({@link NodeCache#fsck}, and a writer's open after a crash).
 *
 * @param manifestsRestored manifest files the index had lost, stored again
 * @param manifestsDropped index manifests whose file was gone, dropped
 * @param damagedManifestFiles manifest files that did not parse or hash to their name, quarantined
 *     (and rewritten from the index's copy where that was sound)
 * @param pinsFixed closures whose pinned flag disagreed with {@code pins/}, and stale pin files
 * @param tagsFixed tags whose index entry and file disagreed (the higher revision was kept)
 */
public record IndexRepairs(int manifestsRestored, int manifestsDropped, List<Digest> damagedManifestFiles,
    int pinsFixed, int tagsFixed) {
  public IndexRepairs {
    if (manifestsRestored < 0 || manifestsDropped < 0 || pinsFixed < 0 || tagsFixed < 0) {
      throw new IllegalArgumentException("repair counts must not be negative");
    }
    damagedManifestFiles = List.copyOf(damagedManifestFiles);
  }

  /** Nothing disagreed. */
  public boolean clean() {
    return manifestsRestored == 0 && manifestsDropped == 0 && damagedManifestFiles.isEmpty() && pinsFixed == 0
        && tagsFixed == 0;
  }
}
