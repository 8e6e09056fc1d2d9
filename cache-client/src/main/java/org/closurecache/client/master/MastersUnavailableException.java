package org.closurecache.client.master;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Every master failed for one call (connection refused or reset, timeouts, 5xx, stalled or corrupt
 * bodies, documents this node refused). The message is one line listing each master's failure
 * once, in order, so an operator can see which master to look at; {@link #failures()} has every
 * failure, one per attempt.
 */
public final class MastersUnavailableException extends IOException {
  private final List<String> failures;

  public MastersUnavailableException(String what, List<String> failures) {
    this(what, failures, false);
  }

  /** {@code rejectedOnly}: every master answered, but with a document this node refused. */
  public MastersUnavailableException(String what, List<String> failures, boolean rejectedOnly) {
    super(message(what, failures, rejectedOnly));
    this.failures = List.copyOf(failures);
  }

  public List<String> failures() {
    return failures;
  }

  private static String message(String what, List<String> failures, boolean rejectedOnly) {
    LinkedHashSet<String> distinct = new LinkedHashSet<>(failures); // a master failing the same way each round is said once
    long masters = failures.stream().map(f -> f.substring(0, Math.max(0, f.indexOf(": ")))).distinct().count();
    return what + (masters > 1 ? " failed on every master: " : " failed: ") + String.join("; ", distinct)
        + (rejectedOnly ? "" : masters > 1 ? " (check the masters' health and the network)"
            : " (check that the master runs and the network)");
  }
}
