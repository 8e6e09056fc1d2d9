package org.closurecache.client.cache;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.objects.ObjectTable;

/**
 * Questions about closures that need the manifests parsed: is every object present, which
 * closures lost an object, what does each one hold. Thread-safe (stateless over thread-safe
 * tables); callers exclude GC where an answer must stay true until they act on it.
 */
final class Closures {
  private final IndexDatabase rocks;
  private final ObjectTable objects;
  private final ClosureTable closures;
  private final TagTable tags;

  Closures(IndexDatabase rocks, ObjectTable objects, ClosureTable closures, TagTable tags) {
    this.rocks = rocks;
    this.objects = objects;
    this.closures = closures;
    this.tags = tags;
  }

  /**
   * Marks a closure complete after checking every object it names is present.
   *
   * @throws IllegalStateException if the manifest is not stored, or naming the missing objects
   */
  void markComplete(Digest manifest) throws IOException {
    byte[] envelope = closures.manifest(manifest).orElseThrow(() -> new IllegalStateException(
        "manifest " + manifest + " is not in this cache; putManifest before markComplete"));
    markComplete(manifest, StoredManifests.parseStored(rocks, manifest, envelope).objectDigests());
  }

  /** As {@link #markComplete(Digest)}, with the manifest's objects from the caller's parse of it. */
  void markComplete(Digest manifest, Collection<Digest> objectDigests) throws IOException {
    if (closures.state(manifest).isEmpty()) {
      throw new IllegalStateException("manifest " + manifest + " is not in this cache; putManifest before markComplete");
    }
    List<Digest> absent = objects.missing(objectDigests);
    if (!absent.isEmpty()) {
      throw new IllegalStateException("closure " + manifest + " is not complete: " + absent.size()
          + " of its objects are missing, e.g. " + absent.subList(0, Math.min(5, absent.size()))
          + "; commit them first");
    }
    closures.update(manifest, true, s -> s.withComplete(true));
  }

  /** Closures marked complete that now lack an object lose the mark; returns them. */
  List<Digest> revokeIncomplete() throws IOException {
    List<Digest> revoked = new ArrayList<>();
    closures.forEach((d, envelope, s) -> {
      if (s.complete()
          && !objects.missing(StoredManifests.parseStored(rocks, d, envelope).objectDigests()).isEmpty()) {
        revoked.add(d);
      }
    });
    for (Digest d : revoked) {
      closures.update(d, true, s -> s.withComplete(false));
    }
    return revoked;
  }

  /** Those of {@code lost} that some stored manifest names, in digest order. */
  List<Digest> neededOf(Collection<Digest> lost) throws IOException {
    Set<Digest> lostSet = Set.copyOf(lost);
    Set<Digest> needed = new TreeSet<>();
    if (lostSet.isEmpty()) {
      return List.of();
    }
    closures.forEach((d, envelope, s) -> StoredManifests.parseStored(rocks, d, envelope).objectDigests()
        .stream().filter(lostSet::contains).forEach(needed::add));
    return List.copyOf(needed);
  }

  /** Every stored manifest with its state and the tags that name it, in digest order. */
  List<ClosureInfo> list() throws IOException {
    Map<Digest, List<String>> tagged = tags.byManifest();
    List<ClosureInfo> out = new ArrayList<>();
    closures.forEach((d, envelope, s) -> {
      Manifest m = StoredManifests.parseStored(rocks, d, envelope);
      out.add(new ClosureInfo(d, m.entry().path(), m.objectDigests().size(),
          StoredManifests.distinctBytes(m), s.complete(), s.pinned(),
          Instant.ofEpochMilli(s.lastUsedMillis()), tagged.getOrDefault(d, List.of())));
    });
    return out;
  }
}
