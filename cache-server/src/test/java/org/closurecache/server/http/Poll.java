package org.closurecache.server.http;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/** Waits for a condition by polling it, every 10 ms, until a deadline; never a blind sleep. */
public final class Poll {
  private Poll() {}

  public static void until(Duration limit, String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + limit.toMillis() + " ms waiting for " + what);
      }
      LockSupport.parkNanos(10_000_000);
    }
  }
}
