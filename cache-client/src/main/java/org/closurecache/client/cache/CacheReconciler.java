package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.Directories;
import org.closurecache.store.fs.FileTrees;
import org.closurecache.store.objects.ObjectReconciler;
import org.closurecache.store.objects.ObjectReconciliation;
import org.closurecache.store.objects.ObjectTable;
import org.closurecache.store.objects.StoredAt;

/**
 * The node's side of reconciliation: {@code tmp/} is emptied first, but for verified downloads a
 * pull left uncommitted (they are not in {@code objects/}, and a pull hashes them again); then the
 * engine's {@link ObjectReconciler} brings the {@code objects} index and {@code objects/} into
 * agreement, taking the stored-at time of an unindexed file from its ctime (the mtime is the
 * recorded one of the file the object was published for, not when it arrived).
 *
 * <p>Not thread-safe: the caller holds the cache lock and excludes every other writer.
 */
final class CacheReconciler {
  /** Verified downloads older than this are deleted anyway: no pull came back for them. */
  static final long KEEP_VERIFIED_MILLIS = 24L * 3600 * 1000;

  private CacheReconciler() {}

  static ObjectReconciliation run(CacheLayout layout, ObjectTable objects, boolean rehash) throws IOException {
    emptyTmp(layout, true);
    return ObjectReconciler.run(objects, layout.quarantineDir(), StoredAt.CHANGE_TIME, rehash);
  }

  /**
   * Deletes everything in {@code tmp/} but, with {@code keepVerified}, verified downloads ({@link
   * CacheLayout#verifiedDigest}: regular files only) written in the last 24 hours; only safe while
   * holding the cache lock.
   */
  static int emptyTmp(CacheLayout layout, boolean keepVerified) throws IOException {
    int removed = 0;
    for (Path p : Directories.list(layout.tmpDir())) {
      if (keepVerified && CacheLayout.verifiedDigest(p).isPresent()
          && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
          && System.currentTimeMillis() - Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis()
              < KEEP_VERIFIED_MILLIS) {
        continue;
      }
      FileTrees.delete(p);
      removed++;
    }
    return removed;
  }

  /** The verified downloads left in {@code tmp/}, one per digest. */
  static Map<Digest, Path> verifiedDownloads(CacheLayout layout) throws IOException {
    Map<Digest, Path> out = new HashMap<>();
    for (Path p : Directories.list(layout.tmpDir())) {
      Optional<Digest> d = CacheLayout.verifiedDigest(p);
      if (d.isPresent() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        out.putIfAbsent(d.get(), p);
      }
    }
    return out;
  }
}
