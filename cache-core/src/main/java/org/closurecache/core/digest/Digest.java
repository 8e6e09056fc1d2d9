package org.closurecache.core.digest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The name of an immutable object: the SHA-256 of its bytes, written {@code sha256:<64 lowercase hex>}.
 *
 * <p>{@link #toString()} is the wire form used in manifests, URLs and the index. Immutable and
 * thread-safe.
 */
public record Digest(String hex) implements Comparable<Digest> {

  /** The only algorithm this format knows; the prefix of the wire form. */
  public static final String ALGORITHM = "sha256";

  private static final String PREFIX = ALGORITHM + ":";
  private static final int HEX_LENGTH = 64;
  private static final HexFormat HEX = HexFormat.of();

  public Digest {
    if (hex == null || hex.length() != HEX_LENGTH || !isLowerHex(hex)) {
      throw new IllegalArgumentException(
          "digest hex must be 64 lowercase hex characters, got " + quote(hex));
    }
  }

  /** Parses the wire form {@code sha256:<64 lowercase hex>}. */
  public static Digest parse(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          "digest must look like sha256:<64 lowercase hex>, got " + quote(text));
    }
    return new Digest(text.substring(PREFIX.length()));
  }

  public static Digest ofHex(String hex) {
    return new Digest(hex);
  }

  public static Digest ofBytes(byte[] raw32) {
    if (raw32.length != HEX_LENGTH / 2) {
      throw new IllegalArgumentException("SHA-256 is 32 bytes, got " + raw32.length);
    }
    return new Digest(HEX.formatHex(raw32));
  }

  /** SHA-256 of {@code data}, using the JDK's intrinsic-backed implementation. */
  public static Digest of(byte[] data) {
    return ofBytes(newMessageDigest().digest(data));
  }

  /** A fresh SHA-256 {@link MessageDigest}; every JDK ships one. */
  public static MessageDigest newMessageDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  public byte[] toBytes() {
    return HEX.parseHex(hex);
  }

  /** Two-character shard prefix used by on-disk layouts ({@code objects/ab/<hex>}). */
  public String shard() {
    return hex.substring(0, 2);
  }

  @Override
  public int compareTo(Digest other) {
    return hex.compareTo(other.hex);
  }

  @Override
  public String toString() {
    return PREFIX + hex;
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

  private static String quote(String s) {
    if (s == null) {
      return "null";
    }
    String shown = s.length() > 80 ? s.substring(0, 80) + "…" : s;
    return '"' + shown + '"';
  }
}
