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
import org.closurecache.client.view.ViewLayout;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.objects.ObjectLayout;

/**
 * The only class that builds paths under a node cache root, but for those under {@code views/}
 * and {@code variants/}, which {@link ViewLayout} builds ({@link #views}).
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
 *   views/                 per-manifest views of closures: hard-link trees of object files with
 *                          their launch plans ({@link ViewLayout}: names inside, and what gc removes)
 *   variants/              copies of objects presented with another mode or mtime, for views
 *                          ({@link ViewLayout})
 * </pre>
 *
 * <p><b>Who reads what.</b> Jobs run as any user, so {@code objects/}, {@code views/} and {@code
 * variants/} are readable by all and {@code running/} writable by all; {@code tmp/}, {@code index/},
 * {@code quarantine/} and {@code lock} are the writer's only ({@link #create} tightens them on every
 * open for writing), so no other user can lock them, and reading the index takes its owner.
 *
 * <p>Immutable and thread-safe.
 */
public final class CacheLayout {
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

  /** The views and variants under this root ({@code views/}, {@code variants/}), with their own layout. */
  public ViewLayout views() {
    return ViewLayout.at(root, objects());
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
