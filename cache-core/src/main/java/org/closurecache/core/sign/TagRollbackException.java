package org.closurecache.core.sign;

import java.security.GeneralSecurityException;

/**
 * A tag record's revision is not newer than one already seen. On a node this means a replayed
 * (older, validly signed) tag and must be refused; on the master it is a conflicting update
 * (HTTP 409). A {@link GeneralSecurityException} because on nodes it is a rollback defence, like
 * {@link SignatureVerificationException}.
 */
public final class TagRollbackException extends GeneralSecurityException {
  private final String tag;
  private final long offeredRevision;
  private final long seenRevision;

  public TagRollbackException(String tag, long offeredRevision, long seenRevision) {
    super("tag " + tag + " revision " + offeredRevision + " is not newer than revision " + seenRevision
        + " already seen; refusing to roll back (publish a new revision above " + seenRevision + ")");
    this.tag = tag;
    this.offeredRevision = offeredRevision;
    this.seenRevision = seenRevision;
  }

  public String tag() {
    return tag;
  }

  public long offeredRevision() {
    return offeredRevision;
  }

  public long seenRevision() {
    return seenRevision;
  }
}
