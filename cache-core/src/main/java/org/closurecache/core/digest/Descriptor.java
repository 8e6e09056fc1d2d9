package org.closurecache.core.digest;

/** What hashing a stream of bytes produced: its digest and its length. Immutable. */
public record Descriptor(Digest digest, long size) {
  public Descriptor {
    if (digest == null) {
      throw new IllegalArgumentException("digest must not be null");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative, got " + size);
    }
  }
}
