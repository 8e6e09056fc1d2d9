package org.closurecache.client.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.closurecache.client.cache.CacheCodec.ObjectEntry;
import org.closurecache.core.digest.Descriptor;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingInputStream;

/**
 * Brings the {@code objects} index and the files of {@code objects/} into agreement, one shard at
 * a time so memory is bounded by the largest shard:
 *
 * <ul>
 *   <li>anything in {@code objects/} that is not a regular file named by its digest in its own
 *       shard directory goes to {@code quarantine/} (never deleted: an operator may want it);
 *   <li>entries whose file is gone are dropped;
 *   <li>files without an entry are indexed (size from stat, storedAt from ctime: the mtime is the
 *       recorded one of the file the object was published for, not when it arrived);
 *   <li>with {@code rehash} (fsck), every file is read and hashed; one whose bytes do not match its
 *       name goes to {@code quarantine/} and loses its entry. Without it (startup), files are
 *       trusted: each was complete, verified and durable before it got its name.
 * </ul>
 *
 * Not thread-safe: the caller excludes every other writer, and {@code tmp/} is emptied first
 * (verified downloads are kept: they are not in {@code objects/}, and a pull hashes them again).
 */
final class CacheReconciler {
  private static final Pattern SHARD = Pattern.compile("[0-9a-f]{2}");
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  private static final int BATCH = 1000;
  /** Verified downloads older than this are deleted anyway: no pull came back for them. */
  static final long KEEP_VERIFIED_MILLIS = 24L * 3600 * 1000;

  /** What a run found and changed. */
  record Result(int tempFilesRemoved, int objectsChecked, List<Digest> corrupt,
      List<Digest> missingFiles, int filesIndexed, int quarantined) {
    Result {
      corrupt = List.copyOf(corrupt);
      missingFiles = List.copyOf(missingFiles);
    }
  }

  private final CacheLayout layout;
  private final ObjectTable objects;
  private final boolean rehash;
  private int quarantined;
  private int checked;
  private int indexed;
  private final List<Digest> corrupt = new ArrayList<>();
  private final List<Digest> missingFiles = new ArrayList<>();

  private CacheReconciler(CacheLayout layout, ObjectTable objects, boolean rehash) {
    this.layout = layout;
    this.objects = objects;
    this.rehash = rehash;
  }

  static Result run(CacheLayout layout, ObjectTable objects, boolean rehash) throws IOException {
    return new CacheReconciler(layout, objects, rehash).run();
  }

  /**
   * Deletes everything in {@code tmp/} but, with {@code keepVerified}, verified downloads ({@link
   * CacheLayout#verifiedDigest}: regular files only) written in the last 24 hours; only safe while
   * holding the cache lock.
   */
  static int emptyTmp(CacheLayout layout, boolean keepVerified) throws IOException {
    int removed = 0;
    for (Path p : list(layout.tmpDir())) {
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
    for (Path p : list(layout.tmpDir())) {
      Optional<Digest> d = CacheLayout.verifiedDigest(p);
      if (d.isPresent() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        out.putIfAbsent(d.get(), p);
      }
    }
    return out;
  }

  private Result run() throws IOException {
    int tempFiles = emptyTmp(layout, true);
    Set<String> shards = new HashSet<>();
    for (Path p : list(layout.objectsDir())) {
      String name = p.getFileName().toString();
      if (SHARD.matcher(name).matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        shards.add(name);
      } else {
        quarantine(p);
      }
    }
    for (int i = 0; i < 256; i++) {
      String shard = String.format("%02x", i);
      reconcileShard(shard, shards.contains(shard) ? objectFiles(shard) : Map.of());
    }
    return new Result(tempFiles, checked, corrupt, missingFiles, indexed, quarantined);
  }

  private void reconcileShard(String shard, Map<Digest, Path> files) throws IOException {
    Map<Digest, ObjectEntry> entries = new HashMap<>();
    objects.forEach(shard, entries::put);
    List<Digest> drop = new ArrayList<>();
    Map<Digest, ObjectEntry> put = new HashMap<>();
    for (Digest d : entries.keySet()) {
      if (!files.containsKey(d)) {
        drop.add(d);
        missingFiles.add(d);
      }
    }
    for (Map.Entry<Digest, Path> f : files.entrySet()) {
      Digest d = f.getKey();
      BasicFileAttributes a = Files.readAttributes(f.getValue(), BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS);
      if (rehash) {
        checked++;
        if (!hashesTo(f.getValue(), d)) {
          quarantine(f.getValue());
          corrupt.add(d);
          drop.add(d);
          continue;
        }
      }
      ObjectEntry e = entries.get(d);
      if (e == null || e.size() != a.size()) {
        long storedAt = e != null ? e.storedAtMillis() : Math.max(0, changeTime(f.getValue(), a).toMillis());
        put.put(d, new ObjectEntry(a.size(), storedAt));
        if (e == null) {
          indexed++;
        }
      }
      if (put.size() >= BATCH) {
        objects.put(put);
        put.clear();
      }
    }
    objects.put(put);
    objects.delete(drop);
  }

  /** When the inode last changed (publishing renamed it): close to its arrival, unlike its mtime. */
  private static FileTime changeTime(Path file, BasicFileAttributes a) throws IOException {
    try {
      return (FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException e) {
      return a.lastModifiedTime();
    }
  }

  private static boolean hashesTo(Path file, Digest expected) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      Descriptor actual = DigestingInputStream.hash(in);
      return actual.digest().equals(expected);
    }
  }

  /** The well-formed object files of one shard by digest; quarantines everything else. */
  private Map<Digest, Path> objectFiles(String shard) throws IOException {
    Map<Digest, Path> files = new HashMap<>();
    for (Path p : list(layout.objectsDir().resolve(shard))) {
      String name = p.getFileName().toString();
      if (HEX.matcher(name).matches() && name.startsWith(shard)
          && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        files.put(Digest.ofHex(name), p);
      } else {
        quarantine(p);
      }
    }
    return files;
  }

  /** Moves {@code p} to the same relative path under quarantine/, never overwriting. */
  private void quarantine(Path p) throws IOException {
    Path relative = layout.objectsDir().relativize(p);
    Path target = layout.quarantineDir().resolve(relative);
    for (int n = 1; Files.exists(target, LinkOption.NOFOLLOW_LINKS); n++) {
      target = layout.quarantineDir().resolve(relative + "." + n);
    }
    Files.createDirectories(target.getParent());
    Files.move(p, target);
    quarantined++;
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(entries::add);
    }
    return entries;
  }
}
