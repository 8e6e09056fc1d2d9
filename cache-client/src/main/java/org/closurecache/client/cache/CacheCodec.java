package org.closurecache.client.cache;

import java.nio.ByteBuffer;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.CorruptEntryException;
import org.closurecache.store.index.Keys;

/**
 * Byte formats of the node's own families (objects and counters are the engine's {@code
 * ObjectTable}). Integers are big-endian.
 *
 * <pre>
 * manifests  32-byte raw digest          → signed envelope bytes, as received
 * closures   32-byte raw manifest digest → flags (1: bit 0 complete, bit 1 pinned), lastUsed millis (8)
 * tags       UTF-8 name (1–255 bytes)    → revision (8), 32-byte raw manifest digest, signed tag bytes
 * </pre>
 *
 * Stateless.
 */
final class CacheCodec {
  private static final int COMPLETE = 1;
  private static final int PINNED = 2;

  private CacheCodec() {}

  /** A {@code closures} value. */
  record ClosureState(boolean complete, boolean pinned, long lastUsedMillis) {
    ClosureState withComplete(boolean c) {
      return new ClosureState(c, pinned, lastUsedMillis);
    }

    ClosureState withPinned(boolean p) {
      return new ClosureState(complete, p, lastUsedMillis);
    }

    ClosureState withLastUsed(long millis) {
      return new ClosureState(complete, pinned, millis);
    }
  }

  /** A tag as accepted: revision, manifest, and the signed record (empty for entries written before it was kept). */
  record TagEntry(long revision, Digest manifest, byte[] signed) {
    TagEntry {
      if (revision < 0 || manifest == null || signed == null) {
        throw new IllegalArgumentException("tag revision must be >= 0 and manifest and signed set");
      }
    }
  }

  static byte[] encode(ClosureState s) {
    int flags = (s.complete() ? COMPLETE : 0) | (s.pinned() ? PINNED : 0);
    return ByteBuffer.allocate(9).put((byte) flags).putLong(s.lastUsedMillis()).array();
  }

  static ClosureState decodeClosure(byte[] v) throws CorruptEntryException {
    Keys.requireLength(v, 9, "closures");
    ByteBuffer b = ByteBuffer.wrap(v);
    int flags = b.get();
    return new ClosureState((flags & COMPLETE) != 0, (flags & PINNED) != 0, b.getLong());
  }

  static byte[] encode(TagEntry t) {
    return ByteBuffer.allocate(8 + Keys.DIGEST_BYTES + t.signed().length).putLong(t.revision())
        .put(Keys.digest(t.manifest())).put(t.signed()).array();
  }

  static TagEntry decodeTag(byte[] v) throws CorruptEntryException {
    if (v.length < 8 + Keys.DIGEST_BYTES) {
      throw new CorruptEntryException("tags value is " + v.length + " bytes, shorter than " + (8 + Keys.DIGEST_BYTES));
    }
    ByteBuffer b = ByteBuffer.wrap(v);
    long revision = b.getLong();
    if (revision < 0) {
      throw new CorruptEntryException("tags value has negative revision " + revision);
    }
    byte[] raw = new byte[Keys.DIGEST_BYTES];
    b.get(raw);
    byte[] signed = new byte[b.remaining()];
    b.get(signed);
    return new TagEntry(revision, Digest.ofBytes(raw), signed);
  }
}
