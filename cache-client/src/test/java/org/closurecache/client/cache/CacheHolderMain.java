package org.closurecache.client.cache;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child process for {@link NodeCacheTwoProcessTest}: opens the cache at {@code args[0]}, prints
 * {@code locked}, waits for a line on stdin, closes the cache, prints {@code closed}.
 */
public final class CacheHolderMain {
  private CacheHolderMain() {}

  public static void main(String[] args) throws Exception {
    try (NodeCache cache = NodeCache.open(Path.of(args[0]), Waiter.silent())) {
      System.out.println("locked");
      System.out.flush();
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }
    System.out.println("closed");
    System.out.flush();
  }
}
