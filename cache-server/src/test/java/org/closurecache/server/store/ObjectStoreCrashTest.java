package org.closurecache.server.store;

import static org.closurecache.server.store.StoreFixtures.filesUnder;
import static org.closurecache.server.store.StoreFixtures.hashOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.index.IndexLockedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a writing child JVM with SIGKILL at random moments and checks what survives. */
class ObjectStoreCrashTest {
  private static final int ROUNDS = 10;
  private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(20);

  @TempDir Path root;

  @Test
  void put_whenProcessIsKilledMidStream_reopenedStoreHasEveryReportedObjectAndNoDebris()
      throws Exception {
    Random random = new Random();
    Set<Digest> reported = new LinkedHashSet<>();
    long deadline = System.nanoTime() + BUDGET_NANOS;
    int rounds = 0;
    int tempFilesFound = 0;
    int filesReindexed = 0;
    for (; rounds < ROUNDS && System.nanoTime() < deadline; rounds++) {
      Process child = ChildJvm.start(
          ChildJvm.command(CrashChild.class, root.toString(), Long.toString(random.nextLong())));
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> readLines(child, lines));
      reader.start();
      try {
        String first = lines.poll(30, TimeUnit.SECONDS);
        if (!"ready".equals(first)) {
          fail("child did not start: " + first);
        }
        if (rounds == 0) {
          // Another process holds the index: a second server must be refused, clearly.
          IndexLockedException e = assertThrows(IndexLockedException.class,
              () -> StoreIndex.open(StoreLayout.at(root).indexDir()));
          assertTrue(e.getMessage().contains("may already be running"), e.getMessage());
        }
        child.waitFor(100 + random.nextInt(400), TimeUnit.MILLISECONDS);  // kill at a random point
      } finally {
        child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no close()
        assertTrue(child.waitFor(10, TimeUnit.SECONDS), "child did not die");
        reader.join(10_000);
      }
      for (String line : lines) {
        if (line.startsWith("ok ")) {
          try {
            reported.add(Digest.parse(line.substring(3)));
          } catch (IllegalArgumentException truncatedByTheKill) {
            // a line cut mid-digest is not a report
          }
        }
      }
      ObjectStore.Reconciliation repaired = verifyStore(reported);
      tempFilesFound += repaired.tempFilesRemoved();
      filesReindexed += repaired.filesIndexed();
    }
    System.out.printf(
        "[store] %d kill -9 rounds, %d objects reported, %d temp files cleaned, %d files"
            + " re-indexed%n", rounds, reported.size(), tempFilesFound, filesReindexed);
    assertTrue(rounds >= 3, "only " + rounds + " rounds fit in the time budget");
    assertTrue(reported.size() > 0, "the child never finished a put");
  }

  /** Reopens the store and checks every invariant; answers what reconcile repaired. */
  private ObjectStore.Reconciliation verifyStore(Set<Digest> reported) throws IOException {
    try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
      StoreLayout layout = store.layout();
      assertEquals(List.of(), filesUnder(layout.tmpDir()), "tmp/ not emptied");
      for (Digest d : reported) {
        assertTrue(store.contains(d), "reported object lost: " + d);
      }
      List<Path> files = filesUnder(layout.objectsDir());
      long bytes = 0;
      for (Path f : files) {
        assertEquals(f.getFileName().toString(), hashOf(f).hex(), "wrong content in " + f);
        bytes += Files.size(f);
      }
      assertEquals(files.size(), store.index().objectCount(), "index count != files");
      assertEquals(bytes, store.index().objectBytes(), "index bytes != file bytes");
      assertEquals(List.of(), filesUnder(layout.quarantineDir()), "nothing should be quarantined");
      return store.startupReconciliation();
    }
  }

  private static void readLines(Process child, BlockingQueue<String> lines) {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        lines.add(line);
      }
    } catch (IOException e) {
      lines.add("reader failed: " + e);
    }
  }
}
