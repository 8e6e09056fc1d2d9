package org.closurecache.server.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.closurecache.core.digest.Digest;
import org.closurecache.server.store.ObjectStore.Reconciliation;

/**
 * Startup repair of a store: empties {@code tmp/}, indexes object files that have no entry
 * (size from stat, storedAt from mtime; they were verified before their rename, so they are not
 * re-hashed), drops entries whose file is gone, and moves anything in {@code objects/} that is
 * not a regular file named by a digest in its own shard directory to {@code quarantine/}, where
 * an operator can inspect it. Works one shard at a time so memory stays bounded by the largest
 * shard, not the store. Not thread-safe: the caller excludes concurrent puts.
 */
final class StoreReconciler {
  private static final Pattern SHARD = Pattern.compile("[0-9a-f]{2}");
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  private static final int BATCH = 1000;

  private final StoreLayout layout;
  private final StoreIndex index;
  private int quarantined;

  private StoreReconciler(StoreLayout layout, StoreIndex index) {
    this.layout = layout;
    this.index = index;
  }

  static Reconciliation run(StoreLayout layout, StoreIndex index) throws IOException {
    return new StoreReconciler(layout, index).run();
  }

  private Reconciliation run() throws IOException {
    int tempFiles = emptyTmp();
    Set<String> shards = new HashSet<>();
    for (Path p : list(layout.objectsDir())) {
      String name = p.getFileName().toString();
      if (SHARD.matcher(name).matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        shards.add(name);
      } else {
        quarantine(p);
      }
    }
    int indexed = 0;
    int dropped = 0;
    for (int i = 0; i < 256; i++) {
      String shard = String.format("%02x", i);
      Map<String, Path> files = shards.contains(shard) ? objectFiles(shard) : Map.of();
      Set<String> seen = new HashSet<>();
      List<Digest> orphanEntries = new ArrayList<>();
      index.forEachObjectInShard(shard, (d, r) -> {
        if (files.containsKey(d.hex())) {
          seen.add(d.hex());
        } else {
          orphanEntries.add(d);
        }
      });
      index.deleteObjects(orphanEntries);
      dropped += orphanEntries.size();
      Map<Digest, ObjectRecord> unindexed = new HashMap<>();
      for (Map.Entry<String, Path> f : files.entrySet()) {
        if (!seen.contains(f.getKey())) {
          BasicFileAttributes a = Files.readAttributes(
              f.getValue(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          long mtime = Math.max(0, a.lastModifiedTime().toMillis());
          unindexed.put(Digest.ofHex(f.getKey()), new ObjectRecord(a.size(), mtime));
          if (unindexed.size() >= BATCH) {
            index.putObjects(unindexed);
            indexed += unindexed.size();
            unindexed.clear();
          }
        }
      }
      index.putObjects(unindexed);
      indexed += unindexed.size();
    }
    return new Reconciliation(tempFiles, indexed, dropped, quarantined);
  }

  /** The well-formed object files of one shard by hex name; quarantines everything else. */
  private Map<String, Path> objectFiles(String shard) throws IOException {
    Map<String, Path> files = new HashMap<>();
    for (Path p : list(layout.objectsDir().resolve(shard))) {
      String name = p.getFileName().toString();
      if (HEX.matcher(name).matches()
          && name.startsWith(shard)
          && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        files.put(name, p);
      } else {
        quarantine(p);
      }
    }
    return files;
  }

  private int emptyTmp() throws IOException {
    int removed = 0;
    for (Path p : list(layout.tmpDir())) {
      deleteRecursively(p);
      removed++;
    }
    return removed;
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

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(p);
      return;
    }
    Files.walkFileTree(p, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
