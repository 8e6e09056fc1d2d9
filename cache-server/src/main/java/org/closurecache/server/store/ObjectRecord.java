package org.closurecache.server.store;

/**
 * What the index knows about one stored object: its length and when it was stored (epoch
 * millis). Stored as 16 bytes, two big-endian longs.
 */
public record ObjectRecord(long size, long storedAtMillis) {
  public ObjectRecord {
    if (size < 0) {
      throw new IllegalArgumentException("object size must not be negative, got " + size);
    }
    if (storedAtMillis < 0) {
      throw new IllegalArgumentException(
          "storedAtMillis must not be negative, got " + storedAtMillis);
    }
  }
}
