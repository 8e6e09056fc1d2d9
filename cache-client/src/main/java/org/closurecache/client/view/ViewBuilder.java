package org.closurecache.client.view;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.digest.Descriptor;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingOutputStream;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.fs.FileTrees;

/**
 * Builds a manifest's <b>view</b>: its closure rebuilt at the original absolute paths under
 * {@code views/<manifest hex>/root}, every file a hard link into the cache (no copy, no extra
 * space), every recorded symlink recreated with its recorded target, every recorded directory
 * (one the job looked at that holds no recorded file) created empty with mode 0755, plus empty
 * {@code /proc}, {@code /dev} and {@code /tmp} directories to mount on, and the recorded working
 * directory (see {@link #workingDirectory}). The tree is built in a fresh
 * {@code views/.build-*} directory, made durable with one filesystem sync, and published by one
 * atomic rename, so a view that exists is whole; a concurrent builder of the same view loses the
 * rename and uses the winner's.
 *
 * <p>Presentation: a hard link shares its inode's permission bits and mtime, and a job sees both
 * (Python checks a {@code .pyc} against its source's mtime). The cache keeps each object with the
 * mode and mtime of the first file that brought it in; a file that wants other ones (an empty
 * {@code __init__.py} with another mtime, say) links to a verified copy in {@code variants/}
 * instead. Files are shown with write bits cleared and read bits set (they are shared and
 * read-only); set-id bits are never carried.
 *
 * <p>Safety: the builder writes only inside the build directory it created. Manifest keys are
 * normalised absolute paths, no key lies under another and no recorded directory is or lies under a
 * key (checked by {@link Manifest}), so every directory the builder creates is one it made itself; it still checks each one with
 * {@code lstat} and never follows a symlink: a symlink in the view is only ever created, never
 * traversed. Thread-safe (no state besides the layout).
 */
public final class ViewBuilder {
  /** Directories every view has, for the launcher to mount on. */
  public static final List<String> MOUNT_POINTS = List.of("/proc", "/dev", "/tmp");
  /** At most this many variant copies wait for one filesystem sync before they get their names. */
  static final int VARIANT_BATCH = 4096;
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Set<PosixFilePermission> PLAN_FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> PLAN_PROGRAM_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

  private final ViewLayout layout;

  public ViewBuilder(ViewLayout layout) {
    this.layout = layout;
  }

  /**
   * What one build did: how many links it made, how many of them are to variant copies, how many
   * symlinks, and how many filesystem syncs it took.
   */
  public record Built(Path dir, boolean reused, int links, int variants, int symlinks, int syncs) {}

  /**
   * The view of {@code manifest}, built now if it is not there. Every object of the manifest must
   * be in the cache (a complete closure). {@code planWriter} fills the plan directory before the
   * view is published, so a published view always has its plan.
   */
  public Built build(Digest manifestDigest, Manifest manifest, PlanWriter planWriter) throws IOException {
    Path dir = layout.viewDir(manifestDigest);
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return new Built(dir, true, 0, 0, 0, 0);
    }
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " is not a directory; remove it and run again");
    }
    Files.createDirectories(layout.viewsDir());
    Path build = layout.newBuildDir(manifestDigest);
    Files.setPosixFilePermissions(layout.viewsDir(), DIR_MODE);  // every user's launcher reads views
    try {
      // a temporary directory is made 0700; a view serves jobs of every user
      Files.setPosixFilePermissions(build, DIR_MODE);
      Path root = Files.setPosixFilePermissions(Files.createDirectory(ViewLayout.rootOf(build)), DIR_MODE);
      Set<Path> made = new HashSet<>();
      made.add(root);
      int variants = 0;
      int[] syncs = {0};
      Map<Path, PendingVariant> pending = new HashMap<>();
      for (Map.Entry<String, FileEntry> e : manifest.files().entrySet()) {
        Path target = ViewLayout.inside(root, e.getKey());
        parents(root, target, made);
        FileEntry f = e.getValue();
        Path object = layout.objectPath(f.digest());
        int mode = presentedMode(f.mode());
        if (Presentation.of(object).equals(new Presentation(mode, f.mtime()))) {
          Files.createLink(target, object);
          continue;
        }
        variants++;
        Path variant = layout.variantPath(f.digest(), mode, f.mtime());
        if (!isVariant(variant, f, mode) || !linkExisting(target, variant)) {
          pending.computeIfAbsent(variant, v -> new PendingVariant(f, v, new ArrayList<>())).targets().add(target);
          if (pending.size() >= VARIANT_BATCH) {
            makeVariants(pending.values(), syncs);
            pending.clear();
          }
        }
      }
      makeVariants(pending.values(), syncs);
      pending.clear();
      for (Map.Entry<String, String> link : manifest.symlinks().entrySet()) {
        Path at = ViewLayout.inside(root, link.getKey());
        parents(root, at, made);
        Files.createSymbolicLink(at, Path.of(link.getValue()));
      }
      for (String directory : manifest.directories()) {
        Path d = ViewLayout.inside(root, directory);
        if (!made.contains(d)) {  // one above a key is there already
          parents(root, d, made);
          directory(d, made);
        }
      }
      Optional<String> cwd = workingDirectory(manifest);
      if (cwd.isPresent() && !made.contains(ViewLayout.inside(root, cwd.get()))) {
        Path d = ViewLayout.inside(root, cwd.get());
        parents(root, d, made);
        directory(d, made);
      }
      for (String mountPoint : MOUNT_POINTS) {
        Path p = ViewLayout.inside(root, mountPoint);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.setPosixFilePermissions(Files.createDirectory(p), DIR_MODE);
          made.add(p);
        }
      }
      Path plan = Files.setPosixFilePermissions(Files.createDirectory(ViewLayout.planOf(build)), DIR_MODE);
      planWriter.write(root, plan);
      try (var planFiles = Files.list(plan)) {
        for (Path f : planFiles.toList()) {
          // whatever the umask: every user reads it (and runs the plan's own program)
          Files.setPosixFilePermissions(f, Files.isExecutable(f) ? PLAN_PROGRAM_MODE : PLAN_FILE_MODE);
        }
      }
      List<Path> durable = new ArrayList<>(made);
      durable.add(plan);
      durable.add(build);
      try (var planFiles = Files.list(plan)) {
        planFiles.forEach(durable::add);
      }
      // One syncfs for the whole tree (links are metadata; the objects are durable already).
      Durability.syncFileSystem(build, durable);
      publish(build, dir);
      Durability.syncFileSystem(layout.viewsDir(), List.of(layout.viewsDir()));
      return new Built(dir, false, manifest.files().size(), variants, manifest.symlinks().size(), syncs[0] + 2);
    } catch (IOException | RuntimeException | Error e) {
      try {
        FileTrees.delete(build);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /**
   * The recorded working directory, when the view should hold it as a directory: a mount point
   * for the node's own directory, which an isolated root binds there (bubblewrap cannot create a
   * mount point inside a read-only directory of the view). Not {@code /}, nothing under the
   * kernel's or the private {@code /tmp}'s mounts, nothing at or under a file or symlink key.
   */
  public static Optional<String> workingDirectory(Manifest manifest) {
    String cwd = manifest.launch().cwd();
    if (cwd.equals("/") || !cwd.equals(normalised(cwd))) {
      return Optional.empty();
    }
    for (String mount : List.of("/proc", "/dev", "/sys", "/tmp")) {
      if (cwd.equals(mount) || cwd.startsWith(mount + "/")) {
        return Optional.empty();
      }
    }
    for (String p = cwd; !p.equals("/"); p = p.substring(0, Math.max(1, p.lastIndexOf('/')))) {
      if (manifest.files().containsKey(p) || manifest.symlinks().containsKey(p)) {
        return Optional.empty();
      }
    }
    return Optional.of(cwd);
  }

  private static String normalised(String path) {
    try {
      org.closurecache.core.manifest.ManifestPaths.requireNormalAbsolute(path, "working directory");
      return path;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /** Writes the launch plan of a view being built; {@code root} is the view tree. */
  @FunctionalInterface
  public interface PlanWriter {
    void write(Path root, Path planDir) throws IOException;
  }

  private void publish(Path build, Path dir) throws IOException {
    try {
      Files.move(build, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + build + " to " + dir + " atomically", e);
    } catch (IOException e) {
      // rename(2) onto a published view fails with ENOTEMPTY, which the JDK reports as a plain
      // FileSystemException: what is at dir now tells whether another builder won the race.
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw e;
      }
      FileTrees.delete(build);
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("view " + dir + " vanished right after it was built; is a gc running?");
    }
  }

  /** Creates the missing parents of {@code target} under {@code root}, never through a symlink. */
  private static void parents(Path root, Path target, Set<Path> made) throws IOException {
    Path parent = target.getParent();
    List<Path> missing = new ArrayList<>();
    for (Path p = parent; !made.contains(p); p = p.getParent()) {
      if (!p.startsWith(root) || p.equals(root)) {
        throw new IllegalStateException(target + " is not under " + root);
      }
      missing.add(p);
    }
    for (int i = missing.size() - 1; i >= 0; i--) {
      directory(missing.get(i), made);
    }
  }

  /** Creates directory {@code p} with mode 0755 whatever the umask; one already there must be a directory. */
  private static void directory(Path p, Set<Path> made) throws IOException {
    try {
      Files.createDirectory(p);
      Files.setPosixFilePermissions(p, DIR_MODE);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("view path " + p + " exists and is not a directory; refusing to build through it", e);
      }
    }
    made.add(p);
  }

  /** Files of a view that want one variant not yet made: its entry, its name and where the view links it. */
  private record PendingVariant(FileEntry entry, Path variant, List<Path> targets) {}

  /**
   * Links {@code target} to an existing variant; false when gc removed the variant meanwhile (it
   * removes variants no view links), so that it has to be made again.
   */
  private static boolean linkExisting(Path target, Path variant) throws IOException {
    try {
      Files.createLink(target, variant);
      return true;
    } catch (java.nio.file.NoSuchFileException gcRace) {
      return false;
    }
  }

  private static boolean isVariant(Path variant, FileEntry f, int mode) throws IOException {
    return Files.isRegularFile(variant, LinkOption.NOFOLLOW_LINKS) && Files.size(variant) == f.size()
        && Presentation.of(variant).equals(new Presentation(mode, f.mtime()));
  }

  /** Write bits cleared, read bits set: the permission bits a view shows for a recorded mode. */
  public static int presentedMode(int recordedMode) {
    return (recordedMode & 0555) | 0444;
  }

  /**
   * Makes a batch of variants and links each into the tree being built: every copy is written to a
   * temporary file beside its name and verified while it is copied, all of them are made durable by
   * one filesystem sync, and only then does each get its name and its view links. A copy therefore
   * never has its name before its bytes are durable, and it is linked from the tree before its
   * temporary name goes, so gc (which removes variants whose link count is 1) never sees it unlinked.
   */
  private void makeVariants(Collection<PendingVariant> batch, int[] syncs) throws IOException {
    if (batch.isEmpty()) {
      return;
    }
    Map<PendingVariant, Path> temps = new LinkedHashMap<>();
    try {
      for (PendingVariant v : batch) {
        temps.put(v, copy(v.entry(), v.variant()));
      }
      Durability.syncFileSystem(layout.variantsDir(), temps.values());
      syncs[0]++;
      for (Map.Entry<PendingVariant, Path> t : temps.entrySet()) {
        name(t.getKey(), t.getValue());
      }
    } finally {
      for (Path temp : temps.values()) {
        Files.deleteIfExists(temp);
      }
    }
  }

  /** A verified copy of {@code f}'s object with the mode and mtime of {@code variant}, in a temporary file. */
  private Path copy(FileEntry f, Path variant) throws IOException {
    Path object = layout.objectPath(f.digest());
    Path temp = layout.newVariantTemp(variant);
    try {
      Descriptor copied;
      try (InputStream in = Files.newInputStream(object, LinkOption.NOFOLLOW_LINKS);
          DigestingOutputStream out = new DigestingOutputStream(Files.newOutputStream(temp))) {
        in.transferTo(out);
        out.close();
        copied = out.descriptor();
      }
      if (!copied.digest().equals(f.digest())) {
        throw new IOException("object " + object + " in the cache does not match its name (it hashes to "
            + copied.digest() + "); run cache-client fsck --repair");
      }
      Files.setPosixFilePermissions(temp, Presentation.permissions(presentedMode(f.mode())));
      Files.setLastModifiedTime(temp, FileTime.from(f.mtime(), TimeUnit.SECONDS));
      return temp;
    } catch (IOException | RuntimeException | Error e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /**
   * Gives a durable copy its variant name (or uses a sound one another builder made) and links the
   * view's files to it. Once one file of the tree links an inode its link count is 2 or more, so gc
   * can only take a variant away before that first link.
   */
  private static void name(PendingVariant v, Path temp) throws IOException {
    try {
      // link(2), not rename(2): a variant another builder made meanwhile may already be linked
      // into its view, and replacing it would leave that view pointing at an orphaned inode.
      Files.createLink(v.variant(), temp);
    } catch (FileAlreadyExistsException e) {
      if (!isVariant(v.variant(), v.entry(), presentedMode(v.entry().mode()))) {
        linkAll(v.targets(), temp);
        Files.move(temp, v.variant(), StandardCopyOption.ATOMIC_MOVE);  // no view links to a bad one
        return;
      }
      if (linkExisting(v.targets().get(0), v.variant())) {
        linkAll(v.targets().subList(1, v.targets().size()), v.variant());
        return;
      }
      Files.createLink(v.variant(), temp);  // gc took the other builder's variant meanwhile
    }
    linkAll(v.targets(), temp);
  }

  private static void linkAll(List<Path> targets, Path source) throws IOException {
    for (Path target : targets) {
      Files.createLink(target, source);
    }
  }

  /** Permission bits and whole-second mtime of a file, as a view shows them. */
  record Presentation(int mode, long mtimeSeconds) {
    static Presentation of(Path p) throws IOException {
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
      long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.SECONDS);
      return new Presentation(mode, mtime);
    }

    static Set<PosixFilePermission> permissions(int mode) {
      Set<PosixFilePermission> out = new HashSet<>();
      PosixFilePermission[] bits = PosixFilePermission.values();  // OWNER_READ … OTHERS_EXECUTE
      for (int i = 0; i < 9; i++) {
        if ((mode & (0400 >> i)) != 0) {
          out.add(bits[i]);
        }
      }
      return out;
    }
  }
}
