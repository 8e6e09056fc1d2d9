package org.closurecache.core.sign;

import java.util.Arrays;

/**
 * One Ed25519 signature (64 bytes) and the id of the key that claims to have made it. The id is
 * only a hint for picking the key; {@link TrustedKeys} checks the signature itself. Immutable
 * (arrays are copied in and out); equal when key id and bytes are equal.
 */
public record Signature(KeyId keyId, byte[] sig) {
  public static final int LENGTH = 64;

  public Signature {
    if (keyId == null) {
      throw new IllegalArgumentException("signature key id must not be null");
    }
    if (sig == null || sig.length != LENGTH) {
      throw new IllegalArgumentException(
          "an Ed25519 signature is 64 bytes, got " + (sig == null ? "null" : sig.length));
    }
    sig = sig.clone();
  }

  @Override
  public byte[] sig() {
    return sig.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Signature other && keyId.equals(other.keyId) && Arrays.equals(sig, other.sig);
  }

  @Override
  public int hashCode() {
    return 31 * keyId.hashCode() + Arrays.hashCode(sig);
  }

  @Override
  public String toString() {
    return "Signature[" + keyId + "]";
  }
}
