package org.closurecache.client.view;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.objects.ObjectLayout;

/**
 * The only class that builds paths and names under a node cache's {@code views/} and {@code
 * variants/}, and the only one that recognises them:
 *
 * <pre>
 * root/
 *   views/&lt;manifest hex&gt;/   a view: root/ is the closure rebuilt at its original absolute paths as
 *                          hard links to object (or variant) files plus the recorded symlinks,
 *                          plan/ the launch plan files; built by {@link ViewBuilder} in
 *                          views/.build-&lt;hex&gt;-&lt;random&gt; and renamed into place atomically
 *   views/.trash-&lt;hex&gt;-&lt;random&gt;   a view being deleted (renamed here first, so no launcher sees
 *                          half a tree)
 *   variants/ab/&lt;64 hex&gt;-&lt;mode&gt;-&lt;mtime&gt;   a verified copy of an object with another mode (4
 *                          octal digits) and mtime (seconds) than its object file has, for views
 *                          that need the same content presented differently (hard links share mode
 *                          and mtime); exists only while a view links it
 *   variants/ab/.variant-&lt;random&gt;.tmp   such a copy being made, before it has its name
 * </pre>
 *
 * <p><b>What gc removes here</b> ({@link ViewSweeper}): a view with its closure, or when its
 * manifest is no complete closure in the index, never while the closure is pinned or in use
 * (symlinks in it are removed, never followed); {@code .build-} and {@code .trash-} directories
 * whose mtime is over an hour old, and {@code .variant-} copies whose ctime is; any variant whose
 * link count is 1, that is, that no view links. So a builder must link a variant into its {@code
 * .build-} tree promptly after giving it its name (or give it its name by linking it from the
 * tree): gc may remove an unlinked one at any moment, and the builder's link then fails rather than
 * the view going wrong.
 *
 * <p>Views link the cache's object files, so this layout also knows where those are (the engine's
 * {@link ObjectLayout}); it builds no other path under the cache root. Immutable and thread-safe.
 */
public final class ViewLayout {
  private static final String BUILD_PREFIX = ".build-";
  private static final String TRASH_PREFIX = ".trash-";
  private static final String VARIANT_TEMP_PREFIX = ".variant-";
  private static final String VARIANT_TEMP_SUFFIX = ".tmp";
  /** A file name in a {@code variants/} shard, as {@link #variantPath} makes it. */
  private static final Pattern VARIANT_NAME = Pattern.compile("[0-9a-f]{64}-[0-7]{4}--?[0-9]{1,19}");
  /** A variant copy being made, as {@link #newVariantTemp} makes it. */
  private static final Pattern VARIANT_TEMP = Pattern.compile("\\.variant-.*\\.tmp");
  private static final Pattern SHARD = Pattern.compile("[0-9a-f]{2}");

  private final Path root;
  private final ObjectLayout objects;

  private ViewLayout(Path root, ObjectLayout objects) {
    this.root = root;
    this.objects = objects;
  }

  /**
   * The views and variants of the node cache at {@code cacheRoot}, whose object files lie as
   * {@code objects} says.
   */
  public static ViewLayout at(Path cacheRoot, ObjectLayout objects) {
    Objects.requireNonNull(cacheRoot, "cacheRoot");
    Objects.requireNonNull(objects, "objects");
    return new ViewLayout(cacheRoot.toAbsolutePath().normalize(), objects);
  }

  /** Per-manifest views ({@code views/<manifest hex>/root} and {@code /plan}). */
  public Path viewsDir() {
    return root.resolve("views");
  }

  /** {@code views/<manifest hex>}: the view tree ({@code root/}) and launch plan ({@code plan/}). */
  public Path viewDir(Digest manifest) {
    return viewsDir().resolve(manifest.hex());
  }

  /** The root inside a view directory: the tree the job sees as {@code /}. */
  public static Path rootOf(Path viewDir) {
    return viewDir.resolve("root");
  }

  /** The launch plan directory inside a view directory. */
  public static Path planOf(Path viewDir) {
    return viewDir.resolve("plan");
  }

  /** Where {@code absolutePath} of the job's tree lies inside {@code root}. */
  public static Path inside(Path root, String absolutePath) {
    if (!absolutePath.startsWith("/")) {
      throw new IllegalArgumentException("not an absolute path: " + absolutePath);
    }
    return absolutePath.equals("/") ? root : root.resolve(absolutePath.substring(1));
  }

  /**
   * A new, empty, uniquely named directory {@code views/.build-<manifest hex>-<random>} to build
   * the view of {@code manifest} in before renaming it to {@link #viewDir}; creates {@code views/}
   * if needed. gc removes it once its mtime is an hour old.
   */
  public Path newBuildDir(Digest manifest) throws IOException {
    return Files.createTempDirectory(Files.createDirectories(viewsDir()), BUILD_PREFIX + manifest.hex() + "-");
  }

  /**
   * A fresh, unused name {@code views/.trash-<manifest hex>-<random>} to rename a view to before
   * deleting it (not created: it is a rename target).
   */
  public Path newTrashPath(Digest manifest) {
    return viewsDir().resolve(TRASH_PREFIX + manifest.hex() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
  }

  /** Copies of objects with other presentation attributes (mode, mtime) than the object file has. */
  public Path variantsDir() {
    return root.resolve("variants");
  }

  /**
   * {@code variants/<first 2 hex>/<64 hex>-<mode, 4 octal digits>-<mtime seconds>}, e.g. {@code
   * …-0555-1700000000}; a negative mtime keeps its sign ({@code …-0444--5}).
   *
   * @param mode permission bits, {@code 0} to {@code 0777}
   */
  public Path variantPath(Digest object, int mode, long mtimeSeconds) {
    if (mode < 0 || mode > 0777) {
      throw new IllegalArgumentException("mode must be permission bits between 0000 and 0777, got 0"
          + Integer.toOctalString(mode));
    }
    return variantsDir().resolve(object.shard())
        .resolve(object.hex() + "-" + String.format("%04o", mode) + "-" + mtimeSeconds);
  }

  /**
   * A new, empty, uniquely named file {@code .variant-<random>.tmp} beside {@code variant} (its
   * shard directory is created if needed), to write the copy in before it gets its name. gc
   * removes it once its ctime is an hour old.
   */
  public Path newVariantTemp(Path variant) throws IOException {
    Files.createDirectories(variant.getParent());
    return Files.createTempFile(variant.getParent(), VARIANT_TEMP_PREFIX, VARIANT_TEMP_SUFFIX);
  }

  /** {@code objects/<first 2 hex>/<64 hex>}: the object file a view links for {@code d}. */
  public Path objectPath(Digest d) {
    return objects.path(d);
  }

  /** Whether a name in {@code views/} is that of a view being built or deleted. */
  static boolean isBuildOrTrash(String name) {
    return name.startsWith(BUILD_PREFIX) || name.startsWith(TRASH_PREFIX);
  }

  /** The manifest a name in {@code views/} is the view of, if it is a view's name. */
  static Optional<Digest> manifestOf(String name) {
    try {
      return name.length() == 64 ? Optional.of(Digest.ofHex(name)) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Whether a name in {@code variants/} is that of a shard directory. */
  static boolean isShard(String name) {
    return SHARD.matcher(name).matches();
  }

  /** Whether a name in a {@code variants/} shard is that of a variant, as {@link #variantPath} makes it. */
  static boolean isVariantName(String name) {
    return VARIANT_NAME.matcher(name).matches();
  }

  /** Whether a name in a {@code variants/} shard is that of a copy {@link #newVariantTemp} made. */
  static boolean isVariantTemp(String name) {
    return VARIANT_TEMP.matcher(name).matches();
  }

  @Override
  public String toString() {
    return "ViewLayout[" + root + "]";
  }
}
