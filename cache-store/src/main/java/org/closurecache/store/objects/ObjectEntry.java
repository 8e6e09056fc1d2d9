package org.closurecache.store.objects;

/**
 * What the index knows about one object file: its length and when it was stored (epoch millis).
 * Stored as 16 bytes, two big-endian longs.
 */
public record ObjectEntry(long size, long storedAtMillis) {
  public ObjectEntry {
    if (size < 0) {
      throw new IllegalArgumentException("object size must not be negative, got " + size);
    }
    if (storedAtMillis < 0) {
      throw new IllegalArgumentException("storedAtMillis must not be negative, got " + storedAtMillis);
    }
  }
}
