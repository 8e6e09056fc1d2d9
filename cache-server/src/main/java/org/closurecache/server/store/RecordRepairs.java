package org.closurecache.server.store;

import java.util.List;
import org.closurecache.core.digest.Digest;

/**
 * Where a master's index of manifests and tags disagreed with their files ({@link StoreRecords}),
 * and was (or, in a check, would be) made to agree.
 *
 * @param manifestsRestored manifest files the index had lost
 * @param manifestsDropped index manifests whose file was gone
 * @param damagedManifestFiles manifest files that are not the signed manifest their name says
 * @param tagRevisionsFixed tag revisions only the index or only the files had
 */
public record RecordRepairs(int manifestsRestored, int manifestsDropped, List<Digest> damagedManifestFiles,
    int tagRevisionsFixed) {
  public RecordRepairs {
    damagedManifestFiles = List.copyOf(damagedManifestFiles);
  }

  public boolean clean() {
    return manifestsRestored == 0 && manifestsDropped == 0 && damagedManifestFiles.isEmpty()
        && tagRevisionsFixed == 0;
  }
}
