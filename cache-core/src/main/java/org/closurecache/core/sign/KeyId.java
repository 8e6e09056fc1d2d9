package org.closurecache.core.sign;

import java.util.Arrays;
import java.util.HexFormat;
import org.closurecache.core.digest.Digest;

/**
 * Short name of an Ed25519 public key: the first 8 bytes of the SHA-256 of its raw 32 bytes,
 * as 16 lowercase hex characters. {@link #toString()} is the wire form used in envelopes and
 * error messages. It only picks which trusted key to try; security never rests on it being
 * unique, since the signature itself is always checked against the full key. Immutable.
 */
public record KeyId(String hex) implements Comparable<KeyId> {
  public static final int HEX_LENGTH = 16;

  public KeyId {
    if (hex == null || hex.length() != HEX_LENGTH || !isLowerHex(hex)) {
      throw new IllegalArgumentException(
          "key id must be 16 lowercase hex characters, got " + (hex == null ? "null" : '"' + shorten(hex) + '"'));
    }
  }

  /** Parses the wire form; throws IllegalArgumentException naming the bad value. */
  public static KeyId parse(String text) {
    return new KeyId(text);
  }

  /** The key id of a raw 32-byte Ed25519 public key. */
  public static KeyId of(byte[] rawPublicKey) {
    if (rawPublicKey == null || rawPublicKey.length != PublicKey.LENGTH) {
      throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
    }
    byte[] hash = Digest.newMessageDigest().digest(rawPublicKey);
    return new KeyId(HexFormat.of().formatHex(Arrays.copyOf(hash, HEX_LENGTH / 2)));
  }

  @Override
  public int compareTo(KeyId other) {
    return hex.compareTo(other.hex);
  }

  @Override
  public String toString() {
    return hex;
  }

  private static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static String shorten(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }
}
