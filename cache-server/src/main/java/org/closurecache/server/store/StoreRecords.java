package org.closurecache.server.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.SignedManifest;

/**
 * Makes a master's index of manifests and tags agree with {@link StoreFiles}:
 *
 * <ul>
 *   <li>a manifest file the index lacks is checked (it must be a signed envelope holding the
 *       manifest its name says; one that is not is quarantined) and indexed again; an index
 *       manifest without its file is dropped from the index (files are written first);
 *   <li>a tag's history is the union of its files and its index entries: a revision only in the
 *       files is indexed again, one only in the index gets its file; the highest is current.
 * </ul>
 *
 * With {@code checkFiles} (fsck) every manifest file is checked, not only those the index lacks.
 * A cache from before the files is migrated first ({@link #migrate}). Not thread-safe: the store
 * excludes writers while it runs.
 */
final class StoreRecords {
  private final StoreFiles files;
  private final StoreIndex index;

  StoreRecords(StoreFiles files, StoreIndex index) {
    this.files = files;
    this.index = index;
  }

  /** Writes the files of a store made before they were kept, from its index; idempotent. */
  void migrate() throws IOException {
    index.forEachManifest(files.manifests()::write);
    for (Map.Entry<String, TreeMap<Long, byte[]>> tag : index.tags().all().entrySet()) {
      for (Map.Entry<Long, byte[]> r : tag.getValue().entrySet()) {
        files.writeTag(tag.getKey(), r.getKey(), r.getValue());
      }
    }
    files.markFormatCurrent();
  }

  RecordRepairs run(boolean checkFiles, boolean repair) throws IOException {
    Map<Digest, Path> manifestFiles = files.manifests().list();
    Set<Digest> indexed = index.manifestDigests();
    int restored = 0;
    List<Digest> damaged = new ArrayList<>();
    for (Map.Entry<Digest, Path> f : manifestFiles.entrySet()) {
      Digest d = f.getKey();
      boolean inIndex = indexed.contains(d);
      if (inIndex && !checkFiles) {
        continue;
      }
      byte[] envelope = files.manifests().read(d).orElse(null);
      if (envelope == null || !holds(d, envelope)) {
        damaged.add(d);
        if (repair) {
          files.quarantine(f.getValue());
          byte[] copy = inIndex ? index.manifest(d).orElse(null) : null;
          if (copy != null && holds(d, copy)) {
            files.manifests().write(d, copy); // the index's copy is sound: the file comes back from it
          }
        }
        continue;
      }
      if (!inIndex) {
        restored++;
        if (repair) {
          index.putManifest(d, envelope);
        }
      }
    }
    List<Digest> drop = new ArrayList<>();
    for (Digest d : indexed) {
      if (!manifestFiles.containsKey(d) && !files.manifests().exists(d)) {
        drop.add(d);
      }
    }
    if (repair) {
      index.deleteManifests(drop);
    }
    return new RecordRepairs(restored, drop.size(), damaged, reconcileTags(repair));
  }

  private int reconcileTags(boolean repair) throws IOException {
    Map<String, TreeMap<Long, StoreFiles.TagFile>> inFiles = files.tagFiles();
    Map<String, TreeMap<Long, byte[]>> inIndex = index.tags().all();
    Set<String> names = new TreeSet<>(inFiles.keySet());
    names.addAll(inIndex.keySet());
    int fixed = 0;
    for (String name : names) {
      TreeMap<Long, StoreFiles.TagFile> f = inFiles.getOrDefault(name, new TreeMap<>());
      TreeMap<Long, byte[]> i = inIndex.getOrDefault(name, new TreeMap<>());
      for (Map.Entry<Long, StoreFiles.TagFile> r : f.entrySet()) {
        if (!i.containsKey(r.getKey())) {
          fixed++;
          if (repair) {
            index.tags().restore(name, r.getKey(), r.getValue().signed());
          }
        }
      }
      for (Map.Entry<Long, byte[]> r : i.entrySet()) {
        if (!f.containsKey(r.getKey())) {
          fixed++;
          if (repair) {
            files.writeTag(name, r.getKey(), r.getValue());
          }
        }
      }
    }
    return fixed;
  }

  /** Whether {@code envelope} is a signed envelope of the manifest named {@code d}. */
  static boolean holds(Digest d, byte[] envelope) {
    try {
      SignedManifest.storedManifest(d, envelope);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
