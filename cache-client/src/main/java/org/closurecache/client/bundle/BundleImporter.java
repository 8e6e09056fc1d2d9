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
 * every object's bytes against its name (while streaming into the cache's temp area), every
 * manifest's signature against the trusted keys, every tag's signature, name, target and revision
 * (no rollback), and that each manifest's objects are all in the bundle or the cache. Only then are
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
    Map<String, byte[]> tags = new LinkedHashMap<>();
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
          if (objects.add(d) && !cache.hasObject(d)) {
            staged.add(stage(cache, d, tar));
            bytes += staged.get(staged.size() - 1).size();
          }
        } else if ((m = Bundle.MANIFEST.matcher(name)).matches()) {
          manifests.put(Digest.ofHex(m.group(1)), small(tar, entry, SignedManifest.MAX_BYTES, bundle));
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
    Map<Digest, Staged.Presentation> presentations = new HashMap<>();
    for (Map.Entry<Digest, byte[]> e : manifests.entrySet()) {
      Manifest m = verifyManifest(e.getKey(), e.getValue(), trust, bundle);
      Staged.Presentation.byObject(m).forEach(presentations::putIfAbsent);
      for (Digest d : m.objectDigests()) {
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
      if (record.revision() < cache.tagRevision(record.name())) {
        throw refuse(bundle, "tag " + record.name() + " is at revision " + record.revision()
            + ", older than revision " + cache.tagRevision(record.name()) + " this cache has seen (rollback)");
      }
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

  private static Staged stage(NodeCache cache, Digest expected, InputStream in) throws IOException {
    Path temp = cache.layout().newTempFile();
    Descriptor got;
    try (OutputStream file = Files.newOutputStream(temp); DigestingOutputStream out = new DigestingOutputStream(file)) {
      in.transferTo(out);
      out.flush();
      got = out.descriptor();
    } catch (IOException e) {
      Files.deleteIfExists(temp);
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
