package org.closurecache.store.objects;

import java.util.List;
import org.closurecache.core.digest.Digest;

/**
 * What an {@link ObjectReconciler} run found and changed.
 *
 * @param objectsChecked files re-hashed (0 unless it re-hashed)
 * @param corrupt files whose bytes did not match their name, now in quarantine and unindexed
 * @param missingFiles entries whose file was gone, now dropped
 * @param filesIndexed files that had no entry, now indexed
 * @param sizesFixed entries whose size disagreed with their file's, now corrected
 * @param quarantined everything moved to quarantine (corrupt files and strays)
 */
public record ObjectReconciliation(int objectsChecked, List<Digest> corrupt, List<Digest> missingFiles,
    int filesIndexed, int sizesFixed, int quarantined) {
  public ObjectReconciliation {
    if (objectsChecked < 0 || filesIndexed < 0 || sizesFixed < 0 || quarantined < 0) {
      throw new IllegalArgumentException("reconciliation counts must not be negative");
    }
    corrupt = List.copyOf(corrupt);
    missingFiles = List.copyOf(missingFiles);
  }

  /** Index and files agreed: nothing was changed. */
  public boolean clean() {
    return corrupt.isEmpty() && missingFiles.isEmpty() && filesIndexed == 0 && sizesFixed == 0 && quarantined == 0;
  }
}
