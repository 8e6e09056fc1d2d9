package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.closurecache.client.cache.CacheCodec.TagEntry;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.SignatureVerificationException;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.objects.ObjectTable;

/**
 * {@link NodeCache#rebuildIndex}: a new index from the files, for an index that is damaged,
 * deleted, or disagrees with them beyond what a reconciliation repairs.
 *
 * <ol>
 *   <li>A cache from before the manifests, pins and tags were kept as files is migrated first if
 *       its old index can still be read; if it cannot, they are lost and the report says so.
 *   <li>Every manifest file is parsed, checked against its name and its signatures verified
 *       against the trusted keys again; every tag file's signed record likewise (it must name the
 *       same tag, revision and manifest). What fails goes to {@code quarantine/}. A tag kept
 *       without its signed record (written before records were kept) keeps its revision as a
 *       floor and is reported.
 *   <li>The old index is renamed to {@code index.broken-<UTC time>} beside it, never deleted.
 *   <li>A new index is opened the way a writer opens after a crash: object files are indexed by
 *       name, manifests, pins and tags restored from their files, closures whose objects are all
 *       present marked complete.
 * </ol>
 *
 * Last-used times are not in the files: every restored closure counts as used at the rebuild.
 * Runs under the cache lock it is given, which it releases.
 */
final class IndexRebuild {
  private IndexRebuild() {}

  static RebuildReport run(CacheLayout layout, CacheLock lock, TrustedKeys trust, Clock clock) throws IOException {
    List<String> rejected = new ArrayList<>();
    List<String> notRecovered = new ArrayList<>();
    Optional<Path> oldIndex;
    RecordFiles files = new RecordFiles(layout);
    try {
      if (!files.formatCurrent() && !migrateFromOldIndex(layout, files, clock)) {
        notRecovered.add("this cache predates its manifest files and its old index cannot be read: its manifests,"
            + " pins and tags are gone (pull and pin again; tag rollback protection starts again from what the"
            + " masters serve)");
        files.markFormatCurrent();
      }
      verifyManifests(layout, files, trust, rejected);
      verifyTags(layout, files, trust, rejected, notRecovered);
      oldIndex = IndexDatabase.setAside(layout.indexDir(), CacheIndex.spec(), clock.instant());
    } catch (IOException | RuntimeException | Error e) {
      lock.release();
      throw e;
    }
    notRecovered.add("last-used times: every closure counts as used now");
    try (NodeCache cache = NodeCache.openLocked(layout, lock, clock)) {
      List<ClosureInfo> closures = cache.list();
      int pins = (int) closures.stream().filter(ClosureInfo::pinned).count();
      int complete = (int) closures.stream().filter(ClosureInfo::complete).count();
      return new RebuildReport(oldIndex, cache.objectCount(), closures.size(), complete, pins,
          files.tags().size(), rejected, notRecovered);
    }
  }

  private static boolean migrateFromOldIndex(CacheLayout layout, RecordFiles files, Clock clock) {
    if (!Files.isDirectory(layout.indexDir(), LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (IndexDatabase db = CacheIndex.open(layout.indexDir())) {
      ObjectTable objects = ObjectTable.load(db, layout.objects());
      new RecordReconciler(files, new ClosureTable(db), new TagTable(db, files), objects, clock.millis()).migrate();
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void verifyManifests(CacheLayout layout, RecordFiles files, TrustedKeys trust, List<String> rejected)
      throws IOException {
    for (Map.Entry<Digest, Path> f : files.manifests().list().entrySet()) {
      Digest d = f.getKey();
      try {
        SignedManifest envelope = SignedManifest.parse(Files.readAllBytes(f.getValue()));
        if (!envelope.manifestDigest().equals(d)) {
          throw new IOException("holds manifest " + envelope.manifestDigest());
        }
        envelope.verify(trust);
      } catch (IOException | SignatureVerificationException | RuntimeException e) {
        files.quarantine(f.getValue());
        rejected.add(RebuildReport.rejectedManifest(d, e.getMessage()));
      }
    }
  }

  private static void verifyTags(CacheLayout layout, RecordFiles files, TrustedKeys trust, List<String> rejected,
      List<String> notRecovered) throws IOException {
    for (Map.Entry<String, TagEntry> t : files.tags().entrySet()) {
      String name = t.getKey();
      TagEntry e = t.getValue();
      if (e.signed().length == 0) {
        notRecovered.add("tag " + name + ": kept at revision " + e.revision() + " without a signed record to check");
        continue;
      }
      try {
        TagRecord r = SignedTag.parse(e.signed()).verify(trust);
        if (!r.name().equals(name) || r.revision() != e.revision() || !r.manifest().equals(e.manifest())) {
          throw new IOException("the signed record says " + r.name() + " revision " + r.revision() + " → " + r.manifest());
        }
      } catch (IOException | SignatureVerificationException | RuntimeException ex) {
        files.quarantine(layout.tagPath(name));
        rejected.add("tag " + name + ": " + ex.getMessage());
      }
    }
  }

}
