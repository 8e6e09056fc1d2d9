package org.closurecache.server.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.closurecache.core.digest.Digest;

/**
 * Byte formats of the index's keys and values. All integers are big-endian, so RocksDB's
 * bytewise order sorts tag history by revision. Stateless.
 */
final class IndexCodec {
  static final int DIGEST_BYTES = 32;
  static final int RECORD_BYTES = 16;
  /** Longest tag name in UTF-8 bytes; keeps keys small and names printable in logs. */
  static final int MAX_TAG_NAME_BYTES = 255;

  static final byte[] COUNT_KEY = "object_count".getBytes(StandardCharsets.UTF_8);
  static final byte[] BYTES_KEY = "object_bytes".getBytes(StandardCharsets.UTF_8);

  private IndexCodec() {}

  static byte[] digestKey(Digest d) {
    return d.toBytes();
  }

  static Digest digest(byte[] key, String where) throws IOException {
    if (key.length != DIGEST_BYTES) {
      throw new IOException(
          "corrupt " + where + " entry: key is " + key.length + " bytes, expected 32");
    }
    return Digest.ofBytes(key);
  }

  static byte[] encode(ObjectRecord r) {
    return ByteBuffer.allocate(RECORD_BYTES).putLong(r.size()).putLong(r.storedAtMillis()).array();
  }

  static ObjectRecord decodeRecord(byte[] value, String where) throws IOException {
    if (value.length != RECORD_BYTES) {
      throw new IOException(
          "corrupt " + where + " entry: value is " + value.length + " bytes, expected 16");
    }
    ByteBuffer b = ByteBuffer.wrap(value);
    long size = b.getLong();
    long storedAt = b.getLong();
    try {
      return new ObjectRecord(size, storedAt);
    } catch (IllegalArgumentException e) {
      throw new IOException("corrupt " + where + " entry: " + e.getMessage(), e);
    }
  }

  static byte[] encodeLong(long v) {
    return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
  }

  static long decodeLong(byte[] value, String where) throws IOException {
    if (value.length != Long.BYTES) {
      throw new IOException(
          "corrupt " + where + ": value is " + value.length + " bytes, expected 8");
    }
    return ByteBuffer.wrap(value).getLong();
  }

  /** UTF-8 bytes of a tag name; rejects names that could not be told apart in history keys. */
  static byte[] tagKey(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("tag name must not be empty");
    }
    if (name.indexOf('\0') >= 0) {
      // NUL separates the name from the revision in tag_history keys.
      throw new IllegalArgumentException("tag name must not contain NUL: " + name);
    }
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > MAX_TAG_NAME_BYTES) {
      throw new IllegalArgumentException(
          "tag name must be at most " + MAX_TAG_NAME_BYTES + " UTF-8 bytes, got " + utf8.length);
    }
    return utf8;
  }

  /** {@code name + 0x00}: every history key of one tag starts with it. */
  static byte[] historyPrefix(String name) {
    byte[] key = tagKey(name);
    return Arrays.copyOf(key, key.length + 1);
  }

  /** {@code name + 0x00 + 8-byte big-endian revision}. */
  static byte[] historyKey(String name, long revision) {
    byte[] prefix = historyPrefix(name);
    return ByteBuffer.allocate(prefix.length + Long.BYTES).put(prefix).putLong(revision).array();
  }

  static long revisionOf(byte[] historyKey) {
    return ByteBuffer.wrap(historyKey, historyKey.length - Long.BYTES, Long.BYTES).getLong();
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
