package org.closurecache.client.view;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.FileTrees;

/**
 * The part of gc that works on {@code views/} and {@code variants/} ({@link ViewLayout}):
 *
 * <ul>
 *   <li>{@link #removeViews}: every {@code views/<hex>} not to be kept is renamed to {@code
 *       views/.trash-<hex>-<random>} (atomic: a launcher then fails to find the view instead of
 *       seeing half a tree), then deleted; {@code .build-*} and {@code .trash-*} directories
 *       whose mtime is older than {@link #LEFTOVER_AGE} (left by a builder or a gc that died) are
 *       deleted. Other names are left alone.
 *   <li>{@link #removeUnlinkedVariants}: every well-named variant file with one link (no view
 *       links it) is deleted, and every variant copy being made whose ctime is older than {@link
 *       #LEFTOVER_AGE} (left by a builder that died).
 *   <li>{@link #discard}: one view, removed the same way (for a rebuild).
 * </ul>
 *
 * Trees are deleted without following symlinks (a view holds symlinks to absolute paths such as
 * {@code /usr/lib/…}; only the links go), without descending into another filesystem (a mount
 * point inside a view fails the removal instead), and a directory its owner cannot write is made
 * writable first. A view that cannot be removed is reported, and the others are still removed.
 *
 * <p>Not thread-safe: the caller (gc) excludes other writers of the cache.
 */
public final class ViewSweeper {
  /** A {@code .build-} or {@code .trash-} directory or a variant copy younger than this may be in use. */
  static final Duration LEFTOVER_AGE = Duration.ofHours(1);

  private final ViewLayout layout;
  private final long nowMillis;

  /** A sweeper of {@code layout} that ages leftovers as of {@code nowMillis} (epoch milliseconds). */
  public ViewSweeper(ViewLayout layout, long nowMillis) {
    this.layout = layout;
    this.nowMillis = nowMillis;
  }

  /**
   * Removes the view of every manifest not in {@code keep}, and old leftovers of builds and
   * removals. {@code removed} counts views and leftovers; {@code bytes} is 0 (the space of linked
   * files is freed when their last link goes, counted by whoever removes that).
   */
  public SweepResult removeViews(Set<Digest> keep) throws IOException {
    Path views = layout.viewsDir();
    int removed = 0;
    List<String> problems = new ArrayList<>();
    if (!Files.isDirectory(views, LinkOption.NOFOLLOW_LINKS)) {
      return new SweepResult(0, 0, problems);
    }
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(views)) {
      s.forEach(entries::add);
    }
    for (Path p : entries) {
      String name = p.getFileName().toString();
      try {
        if (ViewLayout.isBuildOrTrash(name)) {
          if (isOld(p)) {
            FileTrees.delete(p);
            removed++;
          }
          continue;
        }
        Digest manifest = ViewLayout.manifestOf(name).orElse(null);
        if (manifest == null || keep.contains(manifest)) {
          continue;
        }
        if (remove(layout, manifest)) {
          removed++;
        }
      } catch (IOException e) {
        problems.add("could not remove " + p + " (" + e + "); its links keep their files' space"
            + " until it is removed (gc retries)");
      }
    }
    return new SweepResult(removed, 0, problems);
  }

  /**
   * Removes one view the way gc does: renamed to a trash name first (one atomic step, so a
   * launcher sees the whole view or none), then deleted. Nothing to do if there is no view.
   */
  public static void discard(ViewLayout layout, Digest manifest) throws IOException {
    remove(layout, manifest);
  }

  /** Renames the view of {@code manifest} to a trash name, then deletes it; false if there was none. */
  private static boolean remove(ViewLayout layout, Digest manifest) throws IOException {
    Path trash = layout.newTrashPath(manifest);
    try {
      Files.move(layout.viewDir(manifest), trash, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException gone) {
      return false;
    }
    FileTrees.delete(trash);
    return true;
  }

  /** Deletes the variant files no view links (link count 1). */
  public SweepResult removeUnlinkedVariants() throws IOException {
    Path variants = layout.variantsDir();
    int removed = 0;
    long bytes = 0;
    List<String> problems = new ArrayList<>();
    if (!Files.isDirectory(variants, LinkOption.NOFOLLOW_LINKS)) {
      return new SweepResult(0, 0, problems);
    }
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(variants,
        p -> ViewLayout.isShard(p.getFileName().toString()) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
      for (Path shard : shards) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard,
            p -> ViewLayout.isVariantName(p.getFileName().toString())
                || ViewLayout.isVariantTemp(p.getFileName().toString()))) {
          for (Path f : files) {
            try {
              if (ViewLayout.isVariantTemp(f.getFileName().toString())) {
                // a copy a crashed builder left; ctime, not mtime (set to the recorded one), says its age
                FileTime changed = (FileTime) Files.getAttribute(f, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
                if (changed.toMillis() < nowMillis - LEFTOVER_AGE.toMillis()) {
                  bytes += Files.size(f);
                  Files.delete(f);
                  removed++;
                }
                continue;
              }
              Map<String, Object> a = Files.readAttributes(f, "unix:isRegularFile,size,nlink", LinkOption.NOFOLLOW_LINKS);
              if (Boolean.TRUE.equals(a.get("isRegularFile")) && ((Number) a.get("nlink")).intValue() == 1) {
                Files.delete(f);
                removed++;
                bytes += ((Number) a.get("size")).longValue();
              }
            } catch (NoSuchFileException gone) {
              // removed meanwhile: nothing to do
            } catch (IOException e) {
              problems.add("could not remove variant " + f + " (" + e + ")");
            }
          }
        }
      }
    }
    return new SweepResult(removed, bytes, problems);
  }

  private boolean isOld(Path p) throws IOException {
    long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
    return nowMillis - mtime > LEFTOVER_AGE.toMillis();
  }
}
