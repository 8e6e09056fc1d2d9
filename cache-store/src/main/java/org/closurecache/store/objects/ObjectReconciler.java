package org.closurecache.store.objects;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingInputStream;
import org.closurecache.store.fs.Directories;
import org.closurecache.store.fs.Quarantine;

/**
 * Brings an {@link ObjectTable} and the files of its {@link ObjectLayout} into agreement, one
 * shard at a time so memory is bounded by the largest shard, not the store:
 *
 * <ul>
 *   <li>{@code objects/} itself must be a directory, not a link to one: the run refuses with an
 *       {@link IOException} instead of dropping every entry;
 *   <li>anything in {@code objects/} that is not a regular file named by its digest in its own
 *       shard directory goes to quarantine (never deleted: an operator may want it);
 *   <li>entries whose file is gone are dropped;
 *   <li>files without an entry are indexed (size from stat, stored-at time as {@link StoredAt}
 *       says), and an entry whose size disagrees with its file's is corrected: the file is the
 *       truth;
 *   <li>with {@code rehash} (fsck), every file is read and hashed; one whose bytes do not match
 *       its name goes to quarantine and loses its entry. Without it (at open), files are trusted:
 *       each was complete, verified and durable before it got its name.
 * </ul>
 *
 * Not thread-safe: the caller excludes every other writer of the table and of {@code objects/}.
 */
public final class ObjectReconciler {
  private static final int BATCH = 1000;

  private final ObjectTable table;
  private final ObjectLayout layout;
  private final Quarantine quarantine;
  private final StoredAt storedAt;
  private final boolean rehash;
  private final boolean repair;
  private int strays;
  private int checked;
  private int indexed;
  private int sizesFixed;
  private final List<Digest> corrupt = new ArrayList<>();
  private final List<Digest> missingFiles = new ArrayList<>();

  private ObjectReconciler(ObjectTable table, Path quarantineDir, StoredAt storedAt, boolean rehash, boolean repair) {
    this.table = table;
    this.layout = table.layout();
    this.quarantine = new Quarantine(layout.dir(), quarantineDir);
    this.storedAt = storedAt;
    this.rehash = rehash;
    this.repair = repair;
  }

  /**
   * Runs one reconciliation.
   *
   * @param quarantineDir where files that do not belong in {@code objects/} go
   * @param rehash whether to read and hash every file (fsck) or trust their names (open)
   */
  public static ObjectReconciliation run(ObjectTable table, Path quarantineDir, StoredAt storedAt, boolean rehash)
      throws IOException {
    return run(table, quarantineDir, storedAt, rehash, true);
  }

  /**
   * As {@link #run(ObjectTable, Path, StoredAt, boolean)}; without {@code repair} nothing is moved,
   * indexed or dropped, and the result says what a repairing run would do.
   */
  public static ObjectReconciliation run(ObjectTable table, Path quarantineDir, StoredAt storedAt, boolean rehash,
      boolean repair) throws IOException {
    return new ObjectReconciler(table, quarantineDir, storedAt, rehash, repair).run();
  }

  private ObjectReconciliation run() throws IOException {
    Path top = layout.dir();
    if (Files.exists(top, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
      // Listed without following, a linked objects/ looks empty and every entry would be dropped
      // although has() finds each file through the link.
      throw new IOException(top + " is a symbolic link or not a directory; the object files must be in a "
          + "directory of that name (move them there instead of linking)");
    }
    Set<String> shards = new HashSet<>();
    for (Path p : Directories.list(layout.dir())) {
      String name = p.getFileName().toString();
      if (ObjectLayout.SHARD.matcher(name).matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        shards.add(name);
      } else {
        stray(p);
      }
    }
    for (int i = 0; i < 256; i++) {
      String shard = String.format("%02x", i);
      reconcileShard(shard, shards.contains(shard) ? objectFiles(shard) : Map.of());
    }
    return new ObjectReconciliation(checked, corrupt, missingFiles, indexed, sizesFixed, strays);
  }

  private void reconcileShard(String shard, Map<Digest, Path> files) throws IOException {
    Map<Digest, ObjectEntry> entries = new HashMap<>();
    table.forEach(shard, entries::put);
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
      BasicFileAttributes a = Files.readAttributes(f.getValue(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (rehash) {
        checked++;
        if (!hashesTo(f.getValue(), d)) {
          stray(f.getValue());
          corrupt.add(d);
          drop.add(d);
          continue;
        }
      }
      ObjectEntry e = entries.get(d);
      if (e == null) {
        put.put(d, new ObjectEntry(a.size(), storedAt.millis(f.getValue(), a)));
        indexed++;
      } else if (e.size() != a.size()) {
        put.put(d, new ObjectEntry(a.size(), e.storedAtMillis()));
        sizesFixed++;
      }
      if (put.size() >= BATCH) {
        write(put, List.of());
      }
    }
    write(put, drop);
  }

  private void write(Map<Digest, ObjectEntry> put, List<Digest> drop) throws IOException {
    if (repair) {
      table.put(put);
      table.delete(drop);
    }
    put.clear();
  }

  /** Quarantines {@code p} (or, without repair, only counts it). */
  private void stray(Path p) throws IOException {
    strays++;
    if (repair) {
      quarantine.move(p);
    }
  }

  private static boolean hashesTo(Path file, Digest expected) throws IOException {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return DigestingInputStream.hash(in).digest().equals(expected);
    }
  }

  /** The well-formed object files of one shard by digest; quarantines everything else. */
  private Map<Digest, Path> objectFiles(String shard) throws IOException {
    Map<Digest, Path> files = new HashMap<>();
    for (Path p : Directories.list(layout.dir().resolve(shard))) {
      String name = p.getFileName().toString();
      if (ObjectLayout.HEX.matcher(name).matches() && name.startsWith(shard)
          && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        files.put(Digest.ofHex(name), p);
      } else {
        stray(p);
      }
    }
    return files;
  }
}
