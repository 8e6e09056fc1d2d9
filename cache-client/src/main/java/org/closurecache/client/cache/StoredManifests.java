package org.closurecache.client.cache;

import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.store.index.IndexCorruptException;
import org.closurecache.store.index.IndexDatabase;

/**
 * Reads the manifest inside a stored signed envelope. Signatures are not checked here: the
 * pull code verified them before {@link NodeCache#putManifest}, and the cache only needs the
 * file list (for completeness, listing and GC). Stateless.
 */
final class StoredManifests {
  private StoredManifests() {}

  /** The envelope's {@code "manifest"} member. */
  static Manifest parse(byte[] envelope) throws JsonFormatException {
    return SignedManifest.storedManifest(envelope);
  }

  /** Parses and checks that the envelope holds the manifest named {@code expected}. */
  static Manifest parseNamed(Digest expected, byte[] envelope) throws JsonFormatException,
      DigestMismatchException {
    return SignedManifest.storedManifest(expected, envelope);
  }

  /** Parses an envelope read back from the index; one that does not parse means damage. */
  static Manifest parseStored(IndexDatabase rocks, Digest d, byte[] envelope) throws IndexCorruptException {
    try {
      return parse(envelope);
    } catch (JsonFormatException e) {
      throw rocks.corrupt("stored manifest " + d + ": " + e.getMessage(), e);
    }
  }

  /** Bytes of the distinct objects a manifest names (a file listed twice is stored once). */
  static long distinctBytes(Manifest m) {
    java.util.Map<Digest, Long> sizes = new java.util.HashMap<>();
    m.files().values().forEach(f -> sizes.put(f.digest(), f.size()));
    return sizes.values().stream().mapToLong(Long::longValue).sum();
  }
}
