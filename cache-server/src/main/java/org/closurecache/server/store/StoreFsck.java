package org.closurecache.server.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.SignatureVerificationException;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.objects.ObjectReconciler;

/**
 * {@code cache-server fsck}: checks a master's store that no server has open.
 *
 * <ul>
 *   <li>Every object file is re-hashed and compared with the index, every manifest and tag file
 *       with the index, and every stored manifest's objects looked up. Without repair nothing is
 *       changed (not even the reconciliation a server does at open).
 *   <li>With repair, corrupt and stray files go to {@code quarantine/}, and the index is made to
 *       agree with the files (see {@link ObjectReconciler}, {@link StoreRecords}). A manifest
 *       whose objects are missing cannot be repaired on a master: the publisher must upload them
 *       again; it is reported.
 *   <li>With rebuild (implies repair), every manifest file and tag revision file is first
 *       verified against the publisher keys, if the store has any configured (what fails goes to
 *       quarantine), the old index is moved to {@code index.broken-<UTC time>} (never deleted),
 *       and a new one is built from the files. This works when the old index cannot be opened.
 * </ul>
 *
 * Stateless.
 */
public final class StoreFsck {
  private StoreFsck() {}

  public static FsckReport run(Path root, long maxObjectSize, Optional<TrustedKeys> publishers, boolean repair,
      boolean rebuild, Clock clock) throws IOException {
    StoreLayout layout = StoreLayout.at(root);
    if (!Files.isDirectory(layout.objectsDir(), LinkOption.NOFOLLOW_LINKS)) {
      throw new java.nio.file.NoSuchFileException(layout.root().toString(), null, "no store here (no objects/)");
    }
    List<String> rejected = new ArrayList<>();
    List<String> notRecovered = new ArrayList<>();
    Optional<Path> oldIndex = Optional.empty();
    if (rebuild) {
      repair = true;
      StoreFiles files = new StoreFiles(layout);
      if (!files.formatCurrent() && !migrateFromOldIndex(layout, files)) {
        notRecovered.add("this store predates its manifest and tag files and its old index cannot be read: its"
            + " manifests and tags are gone; publish them again");
        files.markFormatCurrent();
      }
      if (publishers.isPresent()) {
        verify(files, publishers.get(), rejected);
      } else {
        notRecovered.add("no publisher-keys configured: manifest and tag files were checked for form, not signature");
      }
      oldIndex = IndexDatabase.setAside(layout.indexDir(), StoreIndex.spec(), clock.instant());
    }
    // Opened without the reconciliation a server does at open: the check below is that pass,
    // with re-hashing, and changes nothing unless asked to repair.
    try (ObjectStore store = ObjectStore.open(root, maxObjectSize, clock, false)) {
      ObjectStore.Check check = store.check(repair);
      return new FsckReport(repair, check.objects(), check.records(), incompleteManifests(store), rejected, oldIndex,
          notRecovered);
    }
  }

  private static Map<Digest, Integer> incompleteManifests(ObjectStore store) throws IOException {
    Map<Digest, Integer> out = new TreeMap<>();
    store.index().forEachManifest((d, envelope) -> {
      int missing = store.missing(List.copyOf(SignedManifest.storedManifest(envelope).objectDigests())).size();
      if (missing > 0) {
        out.put(d, missing);
      }
    });
    return out;
  }

  private static boolean migrateFromOldIndex(StoreLayout layout, StoreFiles files) {
    if (!Files.isDirectory(layout.indexDir(), LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (StoreIndex index = StoreIndex.open(layout.indexDir(), layout.objects())) {
      new StoreRecords(files, index).migrate();
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void verify(StoreFiles files, TrustedKeys publishers, List<String> rejected) throws IOException {
    for (Map.Entry<Digest, Path> f : files.manifests().list().entrySet()) {
      try {
        SignedManifest envelope = SignedManifest.parse(Files.readAllBytes(f.getValue()));
        if (!envelope.manifestDigest().equals(f.getKey())) {
          throw new IOException("holds manifest " + envelope.manifestDigest());
        }
        envelope.verify(publishers);
      } catch (IOException | SignatureVerificationException | RuntimeException e) {
        files.quarantine(f.getValue());
        rejected.add("manifest " + f.getKey() + ": " + e.getMessage());
      }
    }
    for (Map.Entry<String, TreeMap<Long, StoreFiles.TagFile>> t : files.tagFiles().entrySet()) {
      for (StoreFiles.TagFile r : t.getValue().values()) {
        try {
          SignedTag.parse(r.signed()).verify(publishers);
        } catch (IOException | SignatureVerificationException | RuntimeException e) {
          files.quarantine(r.file());
          rejected.add("tag " + t.getKey() + " revision " + r.record().revision() + ": " + e.getMessage());
        }
      }
    }
  }

}
