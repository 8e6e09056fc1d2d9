package org.closurecache.client.master;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which masters are down, shared by every call of one {@link MasterClient}.
 *
 * <p>A master that fails is marked down at the current instant; it stays behind the masters that
 * are up until {@code retryAfter} has passed, then it takes its configured place again (so the
 * preferred, first master comes back first). A success clears the mark. Masters that are down are
 * still tried last rather than skipped: when every master has failed recently, trying them is
 * better than failing without asking. Thread-safe: the marks live in a concurrent map and each
 * call works on its own {@link #order()} snapshot.
 */
final class MasterHealth {
  private final List<URI> masters;
  private final Duration retryAfter;
  private final Clock clock;
  private final Map<URI, Instant> downSince = new ConcurrentHashMap<>();

  MasterHealth(List<URI> masters, Duration retryAfter, Clock clock) {
    this.masters = List.copyOf(masters);
    this.retryAfter = retryAfter;
    this.clock = clock;
  }

  /** Masters to try now: those up (or due a retry) in configured order, then those still down. */
  List<URI> order() {
    Instant now = clock.instant();
    List<URI> up = new ArrayList<>(masters.size());
    List<URI> down = new ArrayList<>();
    for (URI m : masters) {
      Instant since = downSince.get(m);
      if (since == null || !now.isBefore(since.plus(retryAfter))) {
        up.add(m);
      } else {
        down.add(m);
      }
    }
    up.addAll(down);
    return up;
  }

  void markDown(URI master) {
    downSince.put(master, clock.instant());
  }

  void markUp(URI master) {
    downSince.remove(master);
  }

  boolean isDown(URI master) {
    Instant since = downSince.get(master);
    return since != null && clock.instant().isBefore(since.plus(retryAfter));
  }
}
