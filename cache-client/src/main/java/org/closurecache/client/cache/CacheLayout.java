package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.objects.ObjectLayout;

/**
 * The only class that builds paths under a node cache root.
 *
 * <pre>
 * root/
 *   objects/ab/&lt;64 hex&gt;   verified, durable object files, sharded by first hex pair; never writable:
 *                          0444, or the recorded read/execute bits plus 0444 and the recorded mtime
 *                          of the first file of the closure they were pulled for (Staged.Presentation)
 *   tmp/                   downloads in progress; same filesystem as objects/ so publishing is a
 *                          rename; emptied whenever a writer opens the cache (mode 0700), except:
 *   tmp/verified-&lt;64 hex&gt;-&lt;random&gt;   a download that hashed to &lt;hex&gt; but is not committed
 *                          yet; kept across a crash for the next pull to hash again and commit
 *   index/                 the RocksDB database (objects, manifests, closures, tags, counters)
 *                          (mode 0700, its LOCK 0600); derived from the files around it: it can
 *                          be rebuilt from them (NodeCache.rebuildIndex)
 *   manifests/ab/&lt;64 hex&gt; the stored signed envelopes, as received (0444)
 *   pins/&lt;64 hex&gt;         one empty file per pinned manifest
 *   tags/&lt;64 hex&gt;         per accepted tag (named by the SHA-256 of its name): the name, the
 *                          highest revision accepted, its manifest and signed record
 *   format                 "2" once the files above are kept; a cache without it is migrated
 *   index.broken-&lt;time&gt;   an index a rebuild set aside; the operator deletes it
 *   lock                   held with an exclusive file lock by the one writing process; holds its
 *                          pid (mode 0600)
 *   quarantine/            files taken out of objects/ (corrupt or misplaced); never deleted (0700)
 *   running/               marks of jobs running from the cache (mode 1777: launchers run as any user),
 *                          one directory per user, running/&lt;uid&gt;/; RunningJobs owns what is inside
 *   views/&lt;manifest hex&gt;/   a view: root/ is the closure rebuilt at its original absolute paths as
 *                          hard links to object (or variant) files plus the recorded symlinks,
 *                          plan/ the launch plan files; built elsewhere (exec-shim) in
 *                          views/.build-&lt;hex&gt;-&lt;random&gt; and renamed into place atomically
 *   views/.trash-&lt;hex&gt;-&lt;random&gt;   a view being deleted (renamed here first, so no launcher sees
 *                          half a tree)
 *   variants/ab/&lt;64 hex&gt;-&lt;mode&gt;-&lt;mtime&gt;   a verified copy of an object with another mode (4
 *                          octal digits) and mtime (seconds) than its object file has, for views
 *                          that need the same content presented differently (hard links share mode
 *                          and mtime); exists only while a view links it
 * </pre>
 *
 * <p><b>What gc removes here</b> ({@link NodeCache#gc}): a view with its closure, or when its
 * manifest is no complete closure in the index, never while the closure is pinned or in use
 * (symlinks in it are removed, never followed); {@code .build-} and {@code .trash-} directories
 * whose mtime is over an hour old; any variant whose link count is 1, that is, that no view links.
 * So a builder must link a variant into its {@code .build-} tree promptly after giving it its
 * name (or give it its name by linking it from the tree): gc may remove an unlinked one at any
 * moment, and the builder's link then fails rather than the view going wrong.
 *
 * <p><b>Who reads what.</b> Jobs run as any user, so {@code objects/}, {@code views/} and {@code
 * variants/} are readable by all and {@code running/} writable by all; {@code tmp/}, {@code index/},
 * {@code quarantine/} and {@code lock} are the writer's only ({@link #create} tightens them on every
 * open for writing), so no other user can lock them, and reading the index takes its owner.
 *
 * <p>Immutable and thread-safe.
 */
public final class CacheLayout {
  /** Name prefixes in {@code views/} of a view being built and of one being deleted. */
  static final String BUILD_PREFIX = ".build-";
  static final String TRASH_PREFIX = ".trash-";
  /** A file name in a {@code variants/} shard, as {@link #variantPath} makes it. */
  static final Pattern VARIANT_NAME = Pattern.compile("[0-9a-f]{64}-[0-7]{4}--?[0-9]{1,19}");
  /** A file name in {@code tmp/}, as {@link #newVerifiedTempPath} makes it; group 1 is the digest's hex. */
  static final Pattern VERIFIED_NAME = Pattern.compile("verified-([0-9a-f]{64})-[0-9a-f]{1,16}");

  private final Path root;

  private CacheLayout(Path root) {
    this.root = root;
  }

  public static CacheLayout at(Path root) {
    Objects.requireNonNull(root, "root");
    return new CacheLayout(root.toAbsolutePath().normalize());
  }

  public Path root() {
    return root;
  }

  public Path objectsDir() {
    return root.resolve("objects");
  }

  public Path tmpDir() {
    return root.resolve("tmp");
  }

  public Path indexDir() {
    return root.resolve("index");
  }

  public Path lockFile() {
    return root.resolve("lock");
  }

  /**
   * Marks of jobs running from the cache, in one directory per user ({@code running/<uid>/});
   * RunningJobs owns the layout inside.
   */
  public Path runningDir() {
    return root.resolve("running");
  }

  /** Per-manifest views ({@code views/<manifest hex>/root} and {@code /plan}), built by exec-shim. */
  public Path viewsDir() {
    return root.resolve("views");
  }

  /** {@code views/<manifest hex>}: the view tree ({@code root/}) and launch plan ({@code plan/}). */
  public Path viewDir(Digest manifest) {
    return viewsDir().resolve(manifest.hex());
  }

  /**
   * A new, empty, uniquely named directory {@code views/.build-<manifest hex>-<random>} to build
   * the view of {@code manifest} in before renaming it to {@link #viewDir}; creates {@code views/}
   * if needed. gc removes it once its mtime is an hour old.
   */
  public Path newViewBuildDir(Digest manifest) throws IOException {
    return Files.createTempDirectory(Files.createDirectories(viewsDir()), BUILD_PREFIX + manifest.hex() + "-");
  }

  /**
   * A fresh, unused name {@code views/.trash-<manifest hex>-<random>} to rename a view to before
   * deleting it (not created: it is a rename target).
   */
  public Path newViewTrashPath(Digest manifest) {
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

  public Path quarantineDir() {
    return root.resolve("quarantine");
  }

  /** Stored signed manifests, the truth the index's manifest entries are derived from. */
  public Path manifestsDir() {
    return root.resolve("manifests");
  }

  /** {@code manifests/<first 2 hex>/<64 hex>}: the signed envelope as received. */
  public Path manifestPath(Digest manifest) {
    return manifestsDir().resolve(manifest.shard()).resolve(manifest.hex());
  }

  /** Pins: one empty file per pinned manifest. */
  public Path pinsDir() {
    return root.resolve("pins");
  }

  /** {@code pins/<manifest hex>}. */
  public Path pinPath(Digest manifest) {
    return pinsDir().resolve(manifest.hex());
  }

  /** Accepted tags: one file per tag name. */
  public Path tagsDir() {
    return root.resolve("tags");
  }

  /**
   * {@code tags/<hex of SHA-256 of the UTF-8 name>}: a name of up to 255 bytes cannot be a file
   * name itself (nor can a {@code /} in it), its hash can; the file holds the name.
   */
  public Path tagPath(String name) {
    return tagsDir().resolve(Digest.of(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hex());
  }

  /**
   * {@code format}: present (holding {@code 2}) once the manifests, pins and tags are kept as files
   * beside the index; a cache without it is migrated by its next writer.
   */
  public Path formatFile() {
    return root.resolve("format");
  }

  /** {@code objects/<first 2 hex>}, the directory that holds {@code d}. */
  public Path shardDir(Digest d) {
    return objects().shardDir(d);
  }

  /** The object files' own layout ({@code objects/ab/<hex>}), as the engine defines it. */
  public ObjectLayout objects() {
    return ObjectLayout.at(objectsDir());
  }

  /** {@code objects/<first 2 hex>/<64 hex>}. */
  public Path objectPath(Digest d) {
    return objects().path(d);
  }

  /**
   * A new, empty, uniquely named file in {@code tmp/}: beside {@code objects/}, so that publishing
   * it is an atomic rename within one filesystem, and inside the filesystem that one
   * {@code syncfs} makes durable. Only a process holding the cache's lock should create these:
   * the next writer to open the cache deletes whatever is in {@code tmp/}.
   */
  public Path newTempFile() throws IOException {
    return Files.createTempFile(tmpDir(), "fetch-", ".tmp");
  }

  /**
   * A fresh, unused name {@code tmp/verified-<hex>-<random>} for a download that hashed to {@code
   * d} (not created: it is a rename target). Unlike other temp files it survives the next open, so
   * a pull killed before it committed keeps what it had verified; whoever uses it hashes it again
   * (its data was never synced).
   */
  public Path newVerifiedTempPath(Digest d) {
    return tmpDir().resolve("verified-" + d.hex() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
  }

  /** The digest a {@code tmp/verified-…} name carries, if {@code file} has such a name. */
  public static Optional<Digest> verifiedDigest(Path file) {
    Matcher m = VERIFIED_NAME.matcher(file.getFileName().toString());
    return m.matches() ? Optional.of(Digest.ofHex(m.group(1))) : Optional.empty();
  }

  /** Creates the directories above (not the lock file); idempotent. */
  public void create() throws IOException {
    Files.createDirectories(objectsDir());
    Files.createDirectories(tmpDir());
    Files.createDirectories(indexDir());
    Files.createDirectories(quarantineDir());
    // Jobs run as any user and their launchers mark themselves running here: writable by all,
    // sticky like /tmp so nobody removes another's mark (a launcher may have made it 0755).
    Files.createDirectories(runningDir());
    if (((Integer) Files.getAttribute(runningDir(), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777) != RUNNING_MODE) {
      try {
        Files.setAttribute(runningDir(), "unix:mode", RUNNING_MODE, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException notOwner) {
        // another user's directory: its owner's next writer fixes it
      }
    }
    // Only the writer reads these: another user who could open index/LOCK (or, before this was
    // tightened, root/lock) could hold a shared lock on it and stall every writer. A cache made
    // with the old modes is tightened here, on the next open for writing.
    for (Path privateDir : List.of(tmpDir(), indexDir(), quarantineDir())) {
      restrict(privateDir, PRIVATE_DIR_MODE);
    }
    // The directory entries themselves must survive a crash, or objects renamed into objects/
    // could vanish with it.
    Durability.fsyncDirectory(root);
  }

  /** Sets {@code dir}'s permission bits to {@code mode} unless they are that already. */
  private static void restrict(Path dir, int mode) throws IOException {
    if (((Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777) != mode) {
      Files.setAttribute(dir, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }
  }

  /** Permission bits of {@code tmp/}, {@code index/} and {@code quarantine/}: the owner's only. */
  static final int PRIVATE_DIR_MODE = 0700;

  /** Permission bits of {@code running/}: rwx for all, sticky. */
  static final int RUNNING_MODE = 01777;

  @Override
  public String toString() {
    return "CacheLayout[" + root + "]";
  }
}
