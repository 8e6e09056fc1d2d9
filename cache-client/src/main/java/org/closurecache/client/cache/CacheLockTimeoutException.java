package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@link NodeCache#open} waited its whole lock timeout for another process to release the cache's
 * lock. Names the holder (its pid as the kernel's lock table or the lock file gives it) so the
 * operator can see what it is doing; nothing in the cache was changed.
 */
public final class CacheLockTimeoutException extends IOException {
  private final Path lockFile;
  private final String holder;
  private final Duration waited;

  public CacheLockTimeoutException(Path lockFile, String holder, Duration waited) {
    super("the cache lock " + lockFile + " is still held by " + holder + " after " + human(waited)
        + "; check what that process is doing, or wait longer with --lock-timeout (setting lock-timeout)");
    this.lockFile = lockFile;
    this.holder = holder;
    this.waited = waited;
  }

  public Path lockFile() {
    return lockFile;
  }

  /** Who held it, e.g. {@code "another cache-client (pid 4242)"}. */
  public String holder() {
    return holder;
  }

  public Duration waited() {
    return waited;
  }

  private static String human(Duration d) {
    return d.toMillis() % 1000 != 0 ? d.toMillis() + " ms" : d.toSeconds() + " s";
  }
}
