package org.closurecache.client.bundle;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.store.fs.AtomicPublish;

/**
 * Writes a {@link Bundle} of one complete closure from the node cache: to a temporary file next to
 * the target, synced and renamed into place when whole ({@link AtomicPublish}), so a failed export
 * leaves no partial bundle. A
 * target ending in {@code .gz} is gzipped. Not thread-safe.
 */
public final class BundleWriter {
  /** What an export wrote. */
  public record Result(Digest manifest, int objects, long bytes) {}

  private BundleWriter() {}

  public static Result export(NodeCache cache, Digest manifest, Optional<String> tag, Optional<byte[]> signedTag,
      Path target) throws IOException {
    if (!cache.isComplete(manifest)) {
      throw new IOException("closure " + manifest + " is not complete in this cache; pull it first");
    }
    byte[] envelope = cache.manifest(manifest).orElseThrow();
    Manifest m = SignedManifest.storedManifest(envelope);
    Path absolute = target.toAbsolutePath();
    long[] bytes = {0};
    // Whole or not at all, and durable before it has its name: a bundle is carried away on a
    // disk, and a power cut must not leave a truncated one that looks finished.
    AtomicPublish.write(absolute, absolute.getParent(), true, PosixFilePermissions.fromString("rw-r--r--"), raw -> {
      try (OutputStream file = new BufferedOutputStream(raw, 1 << 16);
          OutputStream maybeGzip = target.toString().endsWith(".gz") ? new GZIPOutputStream(file, 1 << 16) : file;
          TarArchiveOutputStream tar = new TarArchiveOutputStream(maybeGzip)) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        put(tar, Bundle.MARKER, Bundle.MARKER_CONTENT);
        put(tar, "manifests/" + manifest.hex() + ".json", envelope);
        if (tag.isPresent() && signedTag.isPresent()) {
          put(tar, "tags/" + tag.get() + ".json", signedTag.get());
        }
        for (Digest d : m.objectDigests()) {
          Path object = cache.layout().objectPath(d);
          TarArchiveEntry entry = new TarArchiveEntry("objects/" + d.hex());
          long size = Files.size(object);
          entry.setSize(size);
          entry.setMode(0444);
          tar.putArchiveEntry(entry);
          Files.copy(object, tar);
          tar.closeArchiveEntry();
          bytes[0] += size;
        }
        tar.finish();
      }
    });
    return new Result(manifest, m.objectDigests().size(), bytes[0]);
  }

  private static void put(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setSize(content.length);
    entry.setMode(0444);
    tar.putArchiveEntry(entry);
    tar.write(content);
    tar.closeArchiveEntry();
  }
}
