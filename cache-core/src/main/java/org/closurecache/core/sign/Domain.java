package org.closurecache.core.sign;

import java.nio.charset.StandardCharsets;

/**
 * What kind of document a signature is for. The signed message is
 * {@code "closure-cache " + wire() + " v1\n"} (UTF-8) followed by the payload, so a signature
 * made for one kind of document can never be replayed as a signature over another, even if the
 * payload bytes happened to parse as both.
 */
public enum Domain {
  /** A manifest's canonical bytes, inside a {@link SignedManifest}. */
  MANIFEST("manifest"),
  /** A tag record's canonical bytes, inside a {@link SignedTag}. */
  TAG("tag");

  private final String wire;

  Domain(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The context line prepended to the payload before signing or verifying. */
  public byte[] prefix() {
    return ("closure-cache " + wire + " v1\n").getBytes(StandardCharsets.UTF_8);
  }
}
