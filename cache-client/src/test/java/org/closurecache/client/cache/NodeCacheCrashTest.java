package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class NodeCacheCrashTest {
  private static final int ROUNDS = 10;
  private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(20);

  @TempDir Path dir;

  @Test
  @Timeout(120)
  void kill9_whileCommitting_everyReportedObjectSurvives_tmpIsEmpty_andTheIndexMatchesTheFiles()
      throws Exception {
    Path root = dir.resolve("cache");
    Random random = new Random(7);
    List<Digest> reported = new ArrayList<>();
    long start = System.nanoTime();
    int rounds = 0;
    while (rounds < ROUNDS && (rounds < 3 || System.nanoTime() - start < BUDGET_NANOS)) {
      rounds++;
      try (ChildJvm child = ChildJvm.start(CommitLoopMain.class, dir.resolve("child.err"),
          root.toString(), Long.toString(random.nextLong()))) {
        child.awaitLine("open", 30);
        // kill somewhere in the middle of a batch (sooner if the child ends by itself)
        child.process.waitFor(300 + random.nextInt(700), TimeUnit.MILLISECONDS);
        for (String line : child.kill9()) {
          reported.add(Digest.parse(line));
        }
      }
      try (NodeCache cache = NodeCache.open(root, Waiter.silent())) {
        for (Digest d : reported) {
          assertTrue(cache.hasObject(d), "round " + rounds + ": reported " + d + " is gone");
        }
        try (Stream<Path> tmp = Files.list(cache.layout().tmpDir())) {
          assertEquals(0, tmp.count(), "tmp/ is emptied on reopen");
        }
        List<Path> files = objectFiles(cache.layout());
        assertEquals(files.size(), cache.objectCount(), "round " + rounds);
        long bytes = 0;
        for (Path p : files) {
          bytes += Files.size(p);
        }
        assertEquals(bytes, cache.objectBytes(), "round " + rounds);
      }
    }
    try (NodeCache cache = NodeCache.open(root, Waiter.silent())) {
      for (Digest d : reported) {
        Path p = cache.layout().objectPath(d);
        try (InputStream in = Files.newInputStream(p)) {
          assertEquals(d, DigestingInputStream.hash(in).digest(), "content of " + d);
        }
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
      }
      assertTrue(cache.fsck().clean());
    }
    System.out.printf("kill -9 test: %d rounds, %d reported objects survived, %.1f s%n",
        rounds, reported.size(), (System.nanoTime() - start) / 1e9);
    assertTrue(reported.size() > 0, "the children committed something before being killed");
  }

  private static List<Path> objectFiles(CacheLayout layout) throws IOException {
    try (Stream<Path> s = Files.walk(layout.objectsDir())) {
      return s.filter(Files::isRegularFile).toList();
    }
  }
}
