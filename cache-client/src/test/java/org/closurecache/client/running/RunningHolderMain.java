package org.closurecache.client.running;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.core.digest.Digest;

/**
 * A job in another process: marks {@code args[1]} (a manifest digest) running in the cache at
 * {@code args[0]}, prints {@code running}, and exits when a line (or EOF) arrives on stdin,
 * without releasing the lock itself: the process ending must be what releases it.
 */
public final class RunningHolderMain {
  private RunningHolderMain() {}

  public static void main(String[] args) throws Exception {
    RunningJobs.markRunning(CacheLayout.at(Path.of(args[0])), Digest.parse(args[1]));
    System.out.println("running");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    System.out.println("exiting");
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }
}
