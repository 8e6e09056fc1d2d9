package org.closurecache.client.cache;

import java.util.List;
import org.closurecache.core.digest.Digest;

/** What {@link NodeCache#fsck} found; {@code refetch} are the lost objects a stored manifest names. */
public record FsckReport(int objectsChecked, List<Digest> corrupt, List<Digest> missingFiles,
    int unindexedFilesIndexed, int quarantined, List<Digest> incompleteClosures, List<Digest> refetch,
    IndexRepairs records) {
  public FsckReport {
    if (objectsChecked < 0 || unindexedFilesIndexed < 0 || quarantined < 0) {
      throw new IllegalArgumentException("fsck counts must not be negative");
    }
    corrupt = List.copyOf(corrupt);
    missingFiles = List.copyOf(missingFiles);
    incompleteClosures = List.copyOf(incompleteClosures);
    refetch = List.copyOf(refetch);
  }

  public boolean clean() {
    return corrupt.isEmpty() && missingFiles.isEmpty() && unindexedFilesIndexed == 0 && quarantined == 0
        && records.clean();
  }
}
