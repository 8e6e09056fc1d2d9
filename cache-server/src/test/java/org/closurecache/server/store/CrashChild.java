package org.closurecache.server.store;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Random;
import org.closurecache.core.digest.Digest;

/**
 * Child process for {@link ObjectStoreCrashTest}: opens the store at {@code args[0]} and puts
 * random objects from two threads forever, printing {@code ok <digest>} after each put returns,
 * until the test kills it with SIGKILL.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    long seed = Long.parseLong(args[1]);
    ObjectStore store = ObjectStore.open(root, 1 << 20);
    System.out.println("ready");
    System.out.flush();
    for (int t = 0; t < 2; t++) {
      long threadSeed = seed * 31 + t;
      Thread worker = new Thread(() -> {
        Random random = new Random(threadSeed);
        try {
          while (true) {
            byte[] data = new byte[random.nextInt(32 * 1024)];
            random.nextBytes(data);
            Digest d = Digest.of(data);
            store.put(d, new ByteArrayInputStream(data), data.length);
            synchronized (System.out) {
              System.out.println("ok " + d);
              System.out.flush();
            }
          }
        } catch (Exception e) {
          e.printStackTrace();
          System.exit(3);
        }
      });
      worker.start();
    }
  }
}
