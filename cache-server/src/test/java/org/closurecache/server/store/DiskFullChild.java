package org.closurecache.server.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;

/**
 * Child process for {@link ObjectStoreDiskFullTest}, run inside a private mount namespace where
 * {@code args[0]} is a small tmpfs. Puts an object larger than the free space, checks the store
 * is left clean and still usable, and prints {@code RESULT ok} or {@code RESULT fail: why}.
 */
public final class DiskFullChild {
  private DiskFullChild() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    int size = Integer.parseInt(args[1]);
    try (ObjectStore store = ObjectStore.open(root, 1L << 30)) {
      byte[] big = new byte[size];
      new Random(1).nextBytes(big);
      Digest d = Digest.of(big);
      String failure = null;
      try {
        store.put(d, new ByteArrayInputStream(big), big.length);
        failure = "a " + size + "-byte put succeeded on a full filesystem";
      } catch (DigestMismatchException e) {
        failure = "wrong exception: " + e;
      } catch (IOException expected) {
        System.out.println("put failed as expected: " + expected);
      }
      if (failure == null && count(store.layout().tmpDir()) != 0) {
        failure = "temp file left in tmp/";
      }
      if (failure == null && (count(store.layout().objectsDir()) != 0
          || store.index().objectCount() != 0)) {
        failure = "something was stored";
      }
      if (failure == null) {
        byte[] small = "fits".getBytes();
        store.put(Digest.of(small), new ByteArrayInputStream(small), small.length);
        if (!store.contains(Digest.of(small))) {
          failure = "store unusable after the failed put";
        }
      }
      System.out.println(failure == null ? "RESULT ok" : "RESULT fail: " + failure);
    }
  }

  private static long count(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }
}
