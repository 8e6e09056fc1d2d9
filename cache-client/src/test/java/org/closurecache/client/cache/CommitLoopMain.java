package org.closurecache.client.cache;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Child process for {@link NodeCacheCrashTest}: commits batches of random objects to the cache at
 * {@code args[0]} until killed, printing each batch's digests only after {@code commit} returned,
 * so every printed digest is one the cache promised to keep.
 */
public final class CommitLoopMain {
  private CommitLoopMain() {}

  public static void main(String[] args) throws Exception {
    Random random = new Random(Long.parseLong(args[1]));
    try (NodeCache cache = NodeCache.open(Path.of(args[0]), Waiter.silent())) {
      System.out.println("open");
      System.out.flush();
      while (true) {
        int count = 1 + random.nextInt(64);
        List<Staged> batch = CacheFixtures.stageRandom(cache.layout(), random, count, 1 + random.nextInt(16 << 10));
        cache.commit(batch);
        StringBuilder out = new StringBuilder();
        batch.forEach(s -> out.append(s.digest()).append('\n'));
        System.out.print(out);
        System.out.flush();
      }
    }
  }
}
