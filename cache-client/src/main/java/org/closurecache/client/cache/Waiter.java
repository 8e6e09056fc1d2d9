package org.closurecache.client.cache;

import java.io.PrintStream;
import java.util.Objects;

/**
 * Told when {@link NodeCache#open} has to wait for the cache's lock, so a command can say why it
 * is not making progress. Called at most once per open, on the opening thread, before it blocks.
 */
@FunctionalInterface
public interface Waiter {
  /**
   * @param holder who holds the lock, e.g. {@code "another cache-client (pid 4242)"}, or {@code
   *     "another NodeCache in this process (pid 4242)"}; {@code "(pid unknown)"} if the holder has
   *     not yet written its pid
   */
  void waiting(String holder);

  static Waiter silent() {
    return holder -> {};
  }

  /** Prints {@code "waiting for <holder> to release the cache lock"} on {@code out}. */
  static Waiter printingTo(PrintStream out) {
    Objects.requireNonNull(out, "out");
    return holder -> out.println("waiting for " + holder + " to release the cache lock");
  }
}
