package org.closurecache.client.cache;

import java.io.IOException;
import java.util.List;
import org.closurecache.core.digest.Digest;

/**
 * {@link NodeCache#commit} could not publish some objects of a batch. The others were made
 * durable and indexed before this was thrown, so {@link NodeCache#missing} now names exactly the
 * failed ones: fetch those again. Each failure's cause is attached as a suppressed exception.
 */
public final class PartialCommitException extends IOException {
  private final List<Digest> committed;
  private final List<Digest> failed;

  public PartialCommitException(List<Digest> committed, List<Digest> failed) {
    super(failed.size() + " of " + (committed.size() + failed.size())
        + " objects could not be published and must be fetched again: " + preview(failed));
    this.committed = List.copyOf(committed);
    this.failed = List.copyOf(failed);
  }

  private static String preview(List<Digest> digests) {
    return digests.size() <= 5 ? digests.toString()
        : digests.subList(0, 5) + " and " + (digests.size() - 5) + " more";
  }

  /** Durable and indexed. */
  public List<Digest> committed() {
    return committed;
  }

  /** Not in the cache; their temp files were deleted. */
  public List<Digest> failed() {
    return failed;
  }
}
