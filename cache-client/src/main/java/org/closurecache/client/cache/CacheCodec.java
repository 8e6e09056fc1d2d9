package org.closurecache.client.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.closurecache.client.cache.CacheDatabase.CorruptEntryException;
import org.closurecache.core.digest.Digest;

/**
 * Byte formats of the index. Integers are big-endian.
 *
 * <pre>
 * objects    32-byte raw digest        → size (8), storedAt millis (8)
 * manifests  32-byte raw digest        → signed envelope bytes, as received
 * closures   32-byte raw manifest digest → flags (1: bit 0 complete, bit 1 pinned), lastUsed millis (8)
 * tags       UTF-8 name (1–255 bytes)  → revision (8), 32-byte raw manifest digest
 * counters   "object_count", "object_bytes" → 8-byte long; "clean_close" → 1 byte
 * </pre>
 *
 * Stateless.
 */
final class CacheCodec {
  static final int DIGEST_BYTES = 32;
  static final int MAX_TAG_NAME_BYTES = 255;
  static final byte[] COUNT_KEY = ascii("object_count");
  static final byte[] BYTES_KEY = ascii("object_bytes");
  /** Present (1) only between a writer's orderly close and the next writer's open. */
  static final byte[] CLEAN_CLOSE_KEY = ascii("clean_close");

  private static final int COMPLETE = 1;
  private static final int PINNED = 2;

  private CacheCodec() {}

  /** An {@code objects} value. */
  record ObjectEntry(long size, long storedAtMillis) {
    ObjectEntry {
      if (size < 0) {
        throw new IllegalArgumentException("object size must not be negative, got " + size);
      }
    }
  }

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

  /** A {@code tags} value. */
  /** A tag as accepted: revision, manifest, and the signed record (empty for entries written before it was kept). */
  record TagEntry(long revision, Digest manifest, byte[] signed) {
    TagEntry {
      if (revision < 0 || manifest == null || signed == null) {
        throw new IllegalArgumentException("tag revision must be >= 0 and manifest and signed set");
      }
    }
  }

  static byte[] key(Digest d) {
    return d.toBytes();
  }

  static Digest digest(byte[] key, String family) throws CorruptEntryException {
    if (key.length != DIGEST_BYTES) {
      throw new CorruptEntryException(family + " key is " + key.length + " bytes, expected 32");
    }
    return Digest.ofBytes(key);
  }

  static byte[] encode(ObjectEntry e) {
    return ByteBuffer.allocate(16).putLong(e.size()).putLong(e.storedAtMillis()).array();
  }

  static ObjectEntry decodeObject(byte[] v) throws CorruptEntryException {
    requireLength(v, 16, "objects");
    ByteBuffer b = ByteBuffer.wrap(v);
    long size = b.getLong();
    if (size < 0) {
      throw new CorruptEntryException("objects value has negative size " + size);
    }
    return new ObjectEntry(size, b.getLong());
  }

  static byte[] encode(ClosureState s) {
    int flags = (s.complete() ? COMPLETE : 0) | (s.pinned() ? PINNED : 0);
    return ByteBuffer.allocate(9).put((byte) flags).putLong(s.lastUsedMillis()).array();
  }

  static ClosureState decodeClosure(byte[] v) throws CorruptEntryException {
    requireLength(v, 9, "closures");
    ByteBuffer b = ByteBuffer.wrap(v);
    int flags = b.get();
    return new ClosureState((flags & COMPLETE) != 0, (flags & PINNED) != 0, b.getLong());
  }

  static byte[] encode(TagEntry t) {
    return ByteBuffer.allocate(8 + DIGEST_BYTES + t.signed().length).putLong(t.revision()).put(key(t.manifest()))
        .put(t.signed()).array();
  }

  static TagEntry decodeTag(byte[] v) throws CorruptEntryException {
    if (v.length < 8 + DIGEST_BYTES) {
      throw new CorruptEntryException("tags value is " + v.length + " bytes, shorter than " + (8 + DIGEST_BYTES));
    }
    ByteBuffer b = ByteBuffer.wrap(v);
    long revision = b.getLong();
    if (revision < 0) {
      throw new CorruptEntryException("tags value has negative revision " + revision);
    }
    byte[] raw = new byte[DIGEST_BYTES];
    b.get(raw);
    byte[] signed = new byte[b.remaining()];
    b.get(signed);
    return new TagEntry(revision, Digest.ofBytes(raw), signed);
  }

  /** UTF-8 bytes of a tag name; refuses names that could not be logged or keyed sensibly. */
  static byte[] tagKey(String name) {
    if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("tag name must be non-empty without NUL, got " + name);
    }
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > MAX_TAG_NAME_BYTES) {
      throw new IllegalArgumentException(
          "tag name must be at most " + MAX_TAG_NAME_BYTES + " UTF-8 bytes, got " + utf8.length);
    }
    return utf8;
  }

  static String tagName(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  static byte[] encodeLong(long v) {
    return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
  }

  static long decodeLong(byte[] v, String what) throws CorruptEntryException {
    requireLength(v, Long.BYTES, what);
    return ByteBuffer.wrap(v).getLong();
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static void requireLength(byte[] v, int expected, String what)
      throws CorruptEntryException {
    if (v.length != expected) {
      throw new CorruptEntryException(
          what + " value is " + v.length + " bytes, expected " + expected);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
