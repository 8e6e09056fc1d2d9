package org.closurecache.store.index;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.closurecache.core.digest.Digest;

/**
 * Byte formats both sides' indexes share: raw 32-byte digests as keys, big-endian longs (so
 * bytewise order is numeric order), tag names. Stateless.
 */
public final class Keys {
  public static final int DIGEST_BYTES = 32;
  /** Longest tag name in UTF-8 bytes; keeps keys small and names printable in logs. */
  public static final int MAX_TAG_NAME_BYTES = 255;

  private Keys() {}

  public static byte[] digest(Digest d) {
    return d.toBytes();
  }

  public static Digest digest(byte[] key, String family) throws CorruptEntryException {
    if (key.length != DIGEST_BYTES) {
      throw new CorruptEntryException(family + " key is " + key.length + " bytes, expected 32");
    }
    return Digest.ofBytes(key);
  }

  public static byte[] encodeLong(long v) {
    return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
  }

  public static long decodeLong(byte[] v, String what) throws CorruptEntryException {
    requireLength(v, Long.BYTES, what);
    return ByteBuffer.wrap(v).getLong();
  }

  /** UTF-8 bytes of a tag name; refuses names that could not be logged or keyed sensibly. */
  public static byte[] tag(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("tag name must not be empty");
    }
    if (name.indexOf('\0') >= 0) {
      // NUL separates the name from the revision in history keys.
      throw new IllegalArgumentException("tag name must not contain NUL: " + name);
    }
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > MAX_TAG_NAME_BYTES) {
      throw new IllegalArgumentException(
          "tag name must be at most " + MAX_TAG_NAME_BYTES + " UTF-8 bytes, got " + utf8.length);
    }
    return utf8;
  }

  public static String tagName(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  public static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  public static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  public static void requireLength(byte[] v, int expected, String what) throws CorruptEntryException {
    if (v.length != expected) {
      throw new CorruptEntryException(what + " value is " + v.length + " bytes, expected " + expected);
    }
  }
}
