package org.closurecache.core.sign;

import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * An Ed25519 public key: its raw 32 bytes (RFC 8032 encoding) and its {@link KeyId}. The bytes
 * are checked to decode to a curve point on construction. Immutable (arrays are copied in and
 * out); equal when the bytes are equal.
 */
public record PublicKey(byte[] raw, KeyId keyId) {
  public static final int LENGTH = 32;

  public PublicKey {
    if (raw == null || raw.length != LENGTH) {
      throw new IllegalArgumentException(
          "an Ed25519 public key is 32 bytes, got " + (raw == null ? "null" : raw.length));
    }
    raw = raw.clone();
    try {
      new Ed25519PublicKeyParameters(raw);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the 32 bytes are not a valid Ed25519 public key", e);
    }
    KeyId expected = KeyId.of(raw);
    if (!expected.equals(keyId)) {
      throw new IllegalArgumentException("key id " + keyId + " does not belong to this key, whose id is " + expected);
    }
  }

  /** The key with these raw bytes, its id computed. */
  public static PublicKey of(byte[] raw) {
    if (raw == null || raw.length != LENGTH) {
      throw new IllegalArgumentException(
          "an Ed25519 public key is 32 bytes, got " + (raw == null ? "null" : raw.length));
    }
    return new PublicKey(raw, KeyId.of(raw));
  }

  @Override
  public byte[] raw() {
    return raw.clone();
  }

  /** BouncyCastle's form, for verifying; a fresh object, so callers cannot share state by it. */
  Ed25519PublicKeyParameters parameters() {
    return new Ed25519PublicKeyParameters(raw);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PublicKey other && Arrays.equals(raw, other.raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return "PublicKey[" + keyId + "]";
  }
}
