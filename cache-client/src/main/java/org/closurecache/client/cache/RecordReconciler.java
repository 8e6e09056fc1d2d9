package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.closurecache.client.cache.CacheCodec.ClosureState;
import org.closurecache.client.cache.CacheCodec.TagEntry;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.store.objects.ObjectTable;

/**
 * Makes the index's manifests, closure records, pins and tags agree with {@link RecordFiles}, the
 * truth they are derived from:
 *
 * <ul>
 *   <li>a manifest file the index lacks is checked (it must parse and hash to its name; one that
 *       does not is quarantined) and stored again, complete if every object it names is present;
 *       an index manifest without its file is dropped (removals delete the file first);
 *   <li>a closure's pinned flag follows {@code pins/}; a pin file of no stored manifest is deleted;
 *   <li>for tags the higher revision wins in both directions, since a revision is a floor that may
 *       only rise: a tag file the index lacks or is behind restores the entry, an index entry whose
 *       file is missing or behind rewrites the file.
 * </ul>
 *
 * <p>With {@code checkFiles} (fsck) every manifest file is also parsed and checked against its
 * name, and a damaged one is rewritten from the index's copy when that one is sound. Not
 * thread-safe: the caller holds the cache lock and excludes every other writer.
 */
final class RecordReconciler {
  private final RecordFiles files;
  private final ClosureTable closures;
  private final TagTable tags;
  private final ObjectTable objects;
  private final long nowMillis;

  RecordReconciler(RecordFiles files, ClosureTable closures, TagTable tags, ObjectTable objects, long nowMillis) {
    this.files = files;
    this.closures = closures;
    this.tags = tags;
    this.objects = objects;
    this.nowMillis = nowMillis;
  }

  /**
   * Writes the files of a cache made before they were kept, from its index, then marks the cache's
   * format current. Idempotent: a crash halfway is finished by the next writer.
   */
  void migrate() throws IOException {
    Set<Digest> pinned = new TreeSet<>();
    closures.forEach((d, envelope, state) -> {
      files.manifests().write(d, envelope);
      if (state.pinned()) {
        pinned.add(d);
      }
    });
    for (Digest d : pinned) {
      files.pin(d);
    }
    for (Map.Entry<String, TagEntry> t : tags.all().entrySet()) {
      files.writeTag(t.getKey(), t.getValue());
    }
    files.markFormatCurrent();
  }

  IndexRepairs run(boolean checkFiles) throws IOException {
    Map<Digest, Path> manifestFiles = files.manifests().list();
    Map<Digest, ClosureState> indexed = closures.states();
    int restored = 0;
    List<Digest> damaged = new ArrayList<>();
    for (Map.Entry<Digest, Path> f : manifestFiles.entrySet()) {
      Digest d = f.getKey();
      boolean inIndex = indexed.containsKey(d);
      if (inIndex && !checkFiles) {
        continue;
      }
      byte[] envelope = files.manifests().read(d).orElse(null);
      Manifest m = envelope == null ? null : parse(d, envelope);
      if (m == null) {
        damaged.add(d);
        files.quarantine(f.getValue());
        Optional<byte[]> copy = inIndex ? closures.manifest(d) : Optional.empty();
        if (copy.isPresent() && parse(d, copy.get()) != null) {
          files.manifests().write(d, copy.get()); // the index's copy is sound: the file comes back from it
        }
        continue;
      }
      if (!inIndex) {
        closures.putManifest(d, envelope, nowMillis);
        if (objects.missing(m.objectDigests()).isEmpty()) {
          closures.update(d, true, s -> s.withComplete(true));
        }
        restored++;
      }
    }
    List<Digest> drop = new ArrayList<>();
    for (Digest d : indexed.keySet()) {
      if (!manifestFiles.containsKey(d) && !files.manifests().exists(d)) {
        drop.add(d);
      }
    }
    closures.remove(drop);
    return new IndexRepairs(restored, drop.size(), damaged, reconcilePins(), reconcileTags());
  }

  private int reconcilePins() throws IOException {
    Set<Digest> pinFiles = files.pins();
    Map<Digest, ClosureState> states = closures.states();
    int fixed = 0;
    for (Map.Entry<Digest, ClosureState> e : states.entrySet()) {
      boolean pinned = pinFiles.contains(e.getKey());
      if (e.getValue().pinned() != pinned) {
        closures.update(e.getKey(), true, s -> s.withPinned(pinned));
        fixed++;
      }
    }
    for (Digest d : pinFiles) {
      if (!states.containsKey(d)) {
        files.unpin(d);
        fixed++;
      }
    }
    return fixed;
  }

  private int reconcileTags() throws IOException {
    Map<String, TagEntry> inFiles = files.tags();
    Map<String, TagEntry> inIndex = tags.all();
    int fixed = 0;
    Set<String> names = new TreeSet<>(inFiles.keySet());
    names.addAll(inIndex.keySet());
    for (String name : names) {
      TagEntry f = inFiles.get(name);
      TagEntry i = inIndex.get(name);
      if (f != null && (i == null || f.revision() > i.revision()
          || (f.revision() == i.revision() && !f.manifest().equals(i.manifest())))) {
        tags.restore(name, f);
        fixed++;
      } else if (i != null && (f == null || i.revision() > f.revision())) {
        files.writeTag(name, i);
        fixed++;
      }
    }
    return fixed;
  }

  private static Manifest parse(Digest d, byte[] envelope) {
    try {
      return StoredManifests.parseNamed(d, envelope);
    } catch (JsonFormatException | DigestMismatchException e) {
      return null;
    }
  }
}
