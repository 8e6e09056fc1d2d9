package org.closurecache.server.store;

import java.io.IOException;

/** An object body is, or declares itself, larger than the store's maximum object size. */
public final class ObjectTooLargeException extends IOException {
  private final long limit;
  private final long seen;

  /**
   * @param seen the declared length, or the number of bytes read when the cap was passed (a
   *     lower bound of the real length)
   */
  public ObjectTooLargeException(String what, long limit, long seen) {
    super(
        what
            + " is larger than the maximum object size of "
            + limit
            + " bytes (at least "
            + seen
            + " bytes); raise the server's maximum object size or split the file");
    this.limit = limit;
    this.seen = seen;
  }

  public long limit() {
    return limit;
  }

  public long seen() {
    return seen;
  }
}
