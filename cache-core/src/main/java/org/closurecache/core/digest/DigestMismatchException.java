package org.closurecache.core.digest;

import java.io.IOException;

/** Bytes did not hash to the digest they were named by. Carries both so callers can report them. */
public final class DigestMismatchException extends IOException {
  private final Digest expected;
  private final Digest actual;

  public DigestMismatchException(String what, Digest expected, Digest actual) {
    super(what + ": expected " + expected + " but the bytes hash to " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  public Digest expected() {
    return expected;
  }

  public Digest actual() {
    return actual;
  }
}
