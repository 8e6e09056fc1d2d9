package org.closurecache.server.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.objects.ObjectReconciliation;

/**
 * What {@link StoreFsck} found in a master's store and, when it repaired, changed.
 *
 * @param repaired whether the disagreements below were repaired or only reported
 * @param objects the object files against the index, every file re-hashed
 * @param records the manifest and tag files against the index
 * @param incompleteManifests stored manifests naming objects the store does not have, with how many
 * @param rejected with a rebuild: manifests and tag revisions no publisher key verifies, quarantined
 * @param oldIndex with a rebuild: where the old index was moved
 * @param notRecovered with a rebuild: what the files could not give back
 */
public record FsckReport(boolean repaired, ObjectReconciliation objects, RecordRepairs records,
    Map<Digest, Integer> incompleteManifests, List<String> rejected, Optional<Path> oldIndex,
    List<String> notRecovered) {
  public FsckReport {
    Objects.requireNonNull(objects, "objects");
    Objects.requireNonNull(records, "records");
    Objects.requireNonNull(oldIndex, "oldIndex");
    incompleteManifests = Map.copyOf(incompleteManifests);
    rejected = List.copyOf(rejected);
    notRecovered = List.copyOf(notRecovered);
  }

  /** Index and files agreed and every manifest's objects are there. */
  public boolean clean() {
    return objects.clean() && records.clean() && incompleteManifests.isEmpty() && rejected.isEmpty();
  }

  /** Nothing is left that this run could not repair. */
  public boolean healthy() {
    return repaired ? incompleteManifests.isEmpty() : clean();
  }
}
