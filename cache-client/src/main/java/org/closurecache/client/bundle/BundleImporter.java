package org.closurecache.client.bundle;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cache.Staged;
import org.closurecache.core.digest.Descriptor;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.digest.DigestingOutputStream;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.core.sign.TrustedKeys;

/**
 * Imports a {@link Bundle} into the node cache, verifying everything before anything is indexed:
 * every manifest's signature against the trusted keys as it is read (manifests come before
 * objects), every object's bytes against its name (while streaming into the cache's temp area,
 * never writing more than the size a manifest gives it, so a decompression bomb fills no disk),
 * every tag's signature, name, target and revision (no rollback, and the same revision never
 * naming another manifest), and that each manifest's objects are all in the bundle or the cache.
 * Objects no manifest names, or given twice, are refused. Only then are
 * the objects committed (durable, then indexed), the manifests stored and marked complete, and
 * the tags recorded. A refused bundle leaves the cache as it was. Each new object file gets the
 * mode and mtime of the first file (in path order) with that content in the first manifest of the
 * bundle that names it, as a pull would give it. Not thread-safe.
 */
public final class BundleImporter {
  /** What an import added. */
  public record Result(List<Digest> manifests, int objects, int objectsNew, long bytes) {}

  private BundleImporter() {}

  public static Result importBundle(NodeCache cache, TrustedKeys trust, Path bundle) throws IOException {
    List<Staged> staged = new ArrayList<>();
    try {
      return read(cache, trust, bundle, staged);
    } catch (IOException | RuntimeException e) {
      for (Staged s : staged) {
        try {
          Files.deleteIfExists(s.tempFile());
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private static Result read(NodeCache cache, TrustedKeys trust, Path bundle, List<Staged> staged) throws IOException {
    Map<Digest, byte[]> manifests = new LinkedHashMap<>();
    Map<Digest, Set<Digest>> closures = new HashMap<>();
    Map<String, byte[]> tags = new LinkedHashMap<>();
    // What the verified manifests name, with sizes: an object entry is written only up to its size.
    Map<Digest, Long> named = new HashMap<>();
    Map<Digest, Staged.Presentation> presentations = new HashMap<>();
    Set<Digest> objects = new HashSet<>();
    long bytes = 0;
    try (InputStream file = new BufferedInputStream(Files.newInputStream(bundle), 1 << 16);
        TarArchiveInputStream tar = new TarArchiveInputStream(gunzipIfNeeded(file))) {
      TarArchiveEntry entry = tar.getNextEntry();
      if (entry == null || !entry.getName().equals(Bundle.MARKER)
          || !Arrays.equals(Bundle.MARKER_CONTENT, tar.readNBytes(Bundle.MARKER_CONTENT.length + 1))) {
        throw refuse(bundle, "it does not start with a closure-cache bundle v1 marker");
      }
      while ((entry = tar.getNextEntry()) != null) {
        if (entry.isDirectory()) {
          continue;
        }
        // only plain files: commons-compress calls links "files" too
        if (entry.getLinkFlag() != TarConstants.LF_NORMAL && entry.getLinkFlag() != TarConstants.LF_OLDNORM) {
          throw refuse(bundle, "entry " + entry.getName() + " is not a regular file (links and devices are refused)");
        }
        String name = entry.getName();
        Matcher m;
        if ((m = Bundle.OBJECT.matcher(name)).matches()) {
          Digest d = Digest.ofHex(m.group(1));
          Long size = named.get(d);
          if (size == null) {
            throw refuse(bundle, name + " is named by no manifest before it (manifests come first in a bundle)");
          }
          if (!objects.add(d)) {
            throw refuse(bundle, name + " appears twice");
          }
          if (entry.getSize() != size) {
            throw refuse(bundle, name + " is " + entry.getSize() + " bytes, but its manifest says " + size);
          }
          if (!cache.hasObject(d)) {
            staged.add(stage(cache, d, size, tar, bundle));
            bytes += size;
          }
        } else if ((m = Bundle.MANIFEST.matcher(name)).matches()) {
          Digest digest = Digest.ofHex(m.group(1));
          byte[] envelope = small(tar, entry, SignedManifest.MAX_BYTES, bundle);
          Manifest manifest = verifyManifest(digest, envelope, trust, bundle);
          manifests.put(digest, envelope);
          closures.put(digest, manifest.objectDigests());
          manifest.files().values().forEach(f -> named.putIfAbsent(f.digest(), f.size()));
          Staged.Presentation.byObject(manifest).forEach(presentations::putIfAbsent);
        } else if ((m = Bundle.TAG.matcher(name)).matches()) {
          tags.put(m.group(1), small(tar, entry, SignedTag.MAX_BYTES, bundle));
        } else {
          throw refuse(bundle, "unexpected entry \"" + name + "\"");
        }
      }
    }
    if (manifests.isEmpty()) {
      throw refuse(bundle, "it holds no manifest");
    }
    for (Map.Entry<Digest, byte[]> e : manifests.entrySet()) {
      for (Digest d : closures.get(e.getKey())) {
        if (!objects.contains(d) && !cache.hasObject(d)) {
          throw refuse(bundle, "manifest " + e.getKey() + " names object " + d + ", which is neither in the bundle nor in the cache");
        }
      }
    }
    Map<String, TagRecord> records = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : tags.entrySet()) {
      TagRecord record;
      try {
        record = SignedTag.parse(e.getValue()).verify(trust);
      } catch (JsonFormatException | GeneralSecurityException ex) {
        throw refuse(bundle, "tag " + e.getKey() + ": " + ex.getMessage());
      }
      if (!record.name().equals(e.getKey()) || !manifests.containsKey(record.manifest())) {
        throw refuse(bundle, "tag " + e.getKey() + " names tag " + record.name() + " and manifest " + record.manifest()
            + ", which this bundle does not carry");
      }
      requireNoRollback(cache, record, bundle);
      records.put(e.getKey(), record);
    }
    // everything verified: now make it durable and index it
    staged.replaceAll(s -> s.withPresentation(Optional.ofNullable(presentations.get(s.digest()))));
    cache.commit(staged);
    for (Map.Entry<Digest, byte[]> e : manifests.entrySet()) {
      if (cache.manifest(e.getKey()).isEmpty()) {
        cache.putManifest(e.getKey(), e.getValue());
      }
      cache.markComplete(e.getKey());
    }
    for (Map.Entry<String, TagRecord> e : records.entrySet()) {
      TagRecord r = e.getValue();
      cache.recordTag(r.name(), r.revision(), r.manifest(), tags.get(e.getKey()));
    }
    return new Result(List.copyOf(manifests.keySet()), objects.size(), staged.size(), bytes);
  }

  /** The rule {@link NodeCache#recordTag} enforces, checked before anything is written. */
  private static void requireNoRollback(NodeCache cache, TagRecord record, Path bundle) throws IOException {
    long seen = cache.tagRevision(record.name());
    if (record.revision() < seen) {
      throw refuse(bundle, "tag " + record.name() + " is at revision " + record.revision()
          + ", older than revision " + seen + " this cache has seen (rollback)");
    }
    Optional<Digest> held = cache.tagTarget(record.name());
    if (record.revision() == seen && held.isPresent() && !held.get().equals(record.manifest())) {
      throw refuse(bundle, "tag " + record.name() + " revision " + record.revision() + " names "
          + record.manifest() + ", but this cache holds that revision naming " + held.get()
          + " (one revision has one target: publish a new revision)");
    }
  }

  /**
   * Writes the entry's bytes to a temp file, hashing them, never more than {@code size}: a
   * decompressing stream may produce far more than the entry claims (a gzip bomb).
   */
  private static Staged stage(NodeCache cache, Digest expected, long size, InputStream in, Path bundle)
      throws IOException {
    Path temp = cache.layout().newTempFile();
    Descriptor got;
    try (OutputStream file = Files.newOutputStream(temp); DigestingOutputStream out = new DigestingOutputStream(file)) {
      byte[] buf = new byte[1 << 16];
      long left = size;
      for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, left + 1))) > 0; left -= n) {
        if (n > left) {
          throw refuse(bundle, "objects/" + expected.hex() + " holds more than the " + size
              + " bytes its manifest says");
        }
        out.write(buf, 0, n);
      }
      out.flush();
      got = out.descriptor();
    } catch (IOException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    if (!got.digest().equals(expected)) {
      Files.deleteIfExists(temp);
      throw new DigestMismatchException("bundle object " + expected, expected, got.digest());
    }
    return new Staged(expected, temp, got.size());
  }

  private static Manifest verifyManifest(Digest digest, byte[] bytes, TrustedKeys trust, Path bundle) throws IOException {
    try {
      SignedManifest envelope = SignedManifest.parse(bytes);
      if (!envelope.manifestDigest().equals(digest)) {
        throw refuse(bundle, "manifests/" + digest.hex() + ".json holds manifest " + envelope.manifestDigest());
      }
      return envelope.verify(trust);
    } catch (JsonFormatException | GeneralSecurityException e) {
      throw refuse(bundle, "manifest " + digest + ": " + e.getMessage());
    }
  }

  private static byte[] small(TarArchiveInputStream tar, TarArchiveEntry entry, int max, Path bundle) throws IOException {
    if (entry.getSize() > max) {
      throw refuse(bundle, entry.getName() + " is " + entry.getSize() + " bytes, over the limit of " + max);
    }
    return tar.readNBytes(max);
  }

  private static InputStream gunzipIfNeeded(InputStream in) throws IOException {
    in.mark(2);
    int a = in.read();
    int b = in.read();
    in.reset();
    return a == 0x1f && b == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
  }

  private static IOException refuse(Path bundle, String why) {
    return new IOException("refusing bundle " + bundle + ": " + why + "; nothing was imported");
  }
}
