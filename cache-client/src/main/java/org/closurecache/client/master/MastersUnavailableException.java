package org.closurecache.client.master;

import java.io.IOException;
import java.util.List;

/**
 * Every master failed for one call (connection refused or reset, timeouts, 5xx, stalled or corrupt
 * bodies). The message lists each failure, master by master and in order, so an operator can see
 * which master to look at; {@link #failures()} has the same lines.
 */
public final class MastersUnavailableException extends IOException {
  private final List<String> failures;

  public MastersUnavailableException(String what, List<String> failures) {
    super(what + " failed on every master (check the masters' health and the network):\n  "
        + String.join("\n  ", failures));
    this.failures = List.copyOf(failures);
  }

  public List<String> failures() {
    return failures;
  }
}
