package org.closurecache.store.objects;

import static org.closurecache.store.objects.ObjectFixtures.filesUnder;
import static org.closurecache.store.objects.ObjectFixtures.hashOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.ChildJvm;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.TestIndexes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's net under both sides' crash tests: a child JVM commits batches of objects ({@link
 * CommitLoopMain}) and is killed with SIGKILL at random moments; after each kill the index is
 * reopened and reconciled, and must hold every object the child reported, with exact counters and
 * nothing half-written under {@code objects/}.
 */
class ObjectCrashTest {
  private static final int ROUNDS = 8;
  private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(20);

  @TempDir Path dir;

  @Test
  @Timeout(120)
  void kill9_whileCommitting_everyReportedObjectIsIndexed_countersAreExact_andObjectsHoldOnlyWholeFiles()
      throws Exception {
    Path root = dir.resolve("store");
    Random random = new Random(11);
    Set<Digest> reported = new LinkedHashSet<>();
    long start = System.nanoTime();
    int rounds = 0;
    int reindexed = 0;
    int tempsLeft = 0;
    while (rounds < ROUNDS && (rounds < 3 || System.nanoTime() - start < BUDGET_NANOS)) {
      rounds++;
      try (ChildJvm child = ChildJvm.start(CommitLoopMain.class, dir.resolve("child.err"), root.toString(),
          Long.toString(random.nextLong()))) {
        child.awaitLine("open", 30);
        child.process.waitFor(300 + random.nextInt(700), TimeUnit.MILLISECONDS); // kill mid-batch, somewhere
        assertTrue(child.process.isAlive(), "the child ended by itself; see " + dir.resolve("child.err"));
        for (String line : child.kill9()) {
          String[] words = line.split(" ");
          if (words.length > 2 && words[0].equals("ok") && words[words.length - 1].equals("end")) {
            for (int i = 1; i < words.length - 1; i++) {
              reported.add(Digest.parse(words[i]));
            }
          }
        }
      }
      ObjectReconciliation r = verify(root, reported, rounds);
      reindexed += r.filesIndexed();
      List<Path> temps = filesUnder(root.resolve("tmp"));
      tempsLeft += temps.size();
      for (Path t : temps) {
        Files.delete(t); // what the sides' open does with tmp/; the engine leaves it to them
      }
    }
    try (IndexDatabase db = IndexDatabase.open(root.resolve("index"), TestIndexes.OBJECTS)) {
      ObjectTable table = ObjectTable.load(db, ObjectLayout.at(root.resolve("objects")));
      ObjectReconciliation fsck = ObjectReconciler.run(table, root.resolve("quarantine"), StoredAt.CHANGE_TIME, true);
      assertTrue(fsck.clean(), "a re-hash after the last round finds nothing: " + fsck);
      assertEquals(table.count(), fsck.objectsChecked());
    }
    System.out.printf("[engine] kill -9: %d rounds, %d reported objects survived, %d files re-indexed, "
        + "%d temp files left in tmp/, %.1f s%n", rounds, reported.size(), reindexed, tempsLeft,
        (System.nanoTime() - start) / 1e9);
    assertTrue(rounds >= 3, "only " + rounds + " rounds");
    assertFalse(reported.isEmpty(), "the children committed nothing before being killed");
  }

  private static ObjectReconciliation verify(Path root, Set<Digest> reported, int round) throws IOException {
    ObjectLayout layout = ObjectLayout.at(root.resolve("objects"));
    try (IndexDatabase db = IndexDatabase.open(root.resolve("index"), TestIndexes.OBJECTS)) {
      ObjectTable table = ObjectTable.load(db, layout);
      assertFalse(table.takeCleanClose(), "round " + round + ": a killed writer left a clean-close marker");
      ObjectReconciliation r = ObjectReconciler.run(table, root.resolve("quarantine"), StoredAt.CHANGE_TIME, false);
      assertEquals(0, r.quarantined(), "round " + round + ": something half-written in objects/: " + r);
      assertEquals(List.of(), r.missingFiles(), "round " + round + ": an entry was written before its file");
      for (Digest d : reported) {
        assertTrue(table.has(d), "round " + round + ": reported " + d + " is not indexed");
      }
      long[] sum = new long[2];
      table.forEach("", (d, e) -> {
        sum[0]++;
        sum[1] += e.size();
      });
      assertEquals(sum[0], table.count(), "round " + round + ": object_count != entries");
      assertEquals(sum[1], table.bytes(), "round " + round + ": object_bytes != sum of entry sizes");
      List<Path> files = filesUnder(layout.dir());
      assertEquals(files.size(), table.count(), "round " + round + ": files != entries");
      long bytes = 0;
      for (Path f : files) {
        bytes += Files.size(f);
      }
      assertEquals(bytes, table.bytes(), "round " + round + ": file bytes != object_bytes");
      for (Digest d : reported) {
        assertEquals(d, hashOf(layout.path(d)), "round " + round + ": content of " + d);
      }
      assertTrue(ObjectReconciler.run(table, root.resolve("quarantine"), StoredAt.CHANGE_TIME, false).clean());
      return r;
    }
  }
}
