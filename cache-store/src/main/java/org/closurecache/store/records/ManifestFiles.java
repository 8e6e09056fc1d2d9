package org.closurecache.store.records;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.AtomicPublish;
import org.closurecache.store.fs.Directories;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.fs.Quarantine;
import org.closurecache.store.objects.ObjectLayout;

/**
 * Stored signed manifests as files, {@code manifests/ab/<64 hex>}, the envelope bytes as received:
 * on both sides the truth the index's manifest entries are derived from. Written with {@link
 * AtomicPublish} (never rewritten: the name is the content's digest) before the index learns of
 * them, deleted (and the directory synced) before it forgets them. Contents are not checked here;
 * the callers parse and verify. Stateless and thread-safe.
 */
public final class ManifestFiles {
  private final Path dir;
  private final Path tempDir;
  private final Quarantine quarantine;

  /**
   * @param dir the {@code manifests/} directory
   * @param tempDir where files are written before their rename (same filesystem)
   * @param quarantine where {@link #list} moves files that do not belong
   */
  public ManifestFiles(Path dir, Path tempDir, Quarantine quarantine) {
    this.dir = dir;
    this.tempDir = tempDir;
    this.quarantine = quarantine;
  }

  /** {@code manifests/<first 2 hex>/<64 hex>}. */
  public Path path(Digest manifest) {
    return dir.resolve(manifest.shard()).resolve(manifest.hex());
  }

  public void write(Digest manifest, byte[] envelope) throws IOException {
    AtomicPublish.write(path(manifest), tempDir, false, envelope);
  }

  public Optional<byte[]> read(Digest manifest) throws IOException {
    try {
      return Optional.of(Files.readAllBytes(path(manifest)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Whether the file is there, without reading it. */
  public boolean exists(Digest manifest) {
    return Files.isRegularFile(path(manifest), LinkOption.NOFOLLOW_LINKS);
  }

  public void delete(Digest manifest) throws IOException {
    Path p = path(manifest);
    if (Files.deleteIfExists(p)) {
      Durability.fsyncDirectory(p.getParent());
    }
  }

  /** The manifest files by digest; anything else under {@code manifests/} is quarantined. */
  public Map<Digest, Path> list() throws IOException {
    Map<Digest, Path> out = new TreeMap<>();
    for (Path shard : Directories.list(dir)) {
      String s = shard.getFileName().toString();
      if (!ObjectLayout.SHARD.matcher(s).matches() || !Files.isDirectory(shard, LinkOption.NOFOLLOW_LINKS)) {
        quarantine.move(shard);
        continue;
      }
      for (Path f : Directories.list(shard)) {
        String name = f.getFileName().toString();
        if (ObjectLayout.HEX.matcher(name).matches() && name.startsWith(s)
            && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          out.put(Digest.ofHex(name), f);
        } else {
          quarantine.move(f);
        }
      }
    }
    return out;
  }
}
