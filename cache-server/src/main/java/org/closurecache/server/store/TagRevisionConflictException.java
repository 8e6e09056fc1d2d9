package org.closurecache.server.store;

import java.io.IOException;

/** A tag update offered a revision that is not greater than the current one (a rollback). */
public final class TagRevisionConflictException extends IOException {
  private final String tag;
  private final long currentRevision;
  private final long offeredRevision;

  public TagRevisionConflictException(String tag, long currentRevision, long offeredRevision) {
    super(
        "tag '"
            + tag
            + "' is at revision "
            + currentRevision
            + "; offered revision "
            + offeredRevision
            + " must be greater (re-sign the tag with revision "
            + (currentRevision + 1)
            + " or later)");
    this.tag = tag;
    this.currentRevision = currentRevision;
    this.offeredRevision = offeredRevision;
  }

  public String tag() {
    return tag;
  }

  public long currentRevision() {
    return currentRevision;
  }

  public long offeredRevision() {
    return offeredRevision;
  }
}
