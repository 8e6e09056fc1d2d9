package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class NodeCacheTwoProcessTest {
  @TempDir Path dir;

  @Test
  @Timeout(60)
  void open_whileAnotherProcessHoldsTheCache_tellsTheWaiterItsPid_andProceedsWhenItCloses()
      throws Exception {
    Path root = dir.resolve("cache");
    Staged committed;
    try (NodeCache cache = NodeCache.open(root, Waiter.silent())) {
      committed = CacheFixtures.stage(cache.layout(), CacheFixtures.randomBytes(new Random(1), 100));
      cache.commit(List.of(committed));
    }
    try (ChildJvm child = ChildJvm.start(CacheHolderMain.class, dir.resolve("child.err"), root.toString())) {
      child.awaitLine("locked", 30);

      // Readers need not wait for the writer.
      try (NodeCache ro = NodeCache.openReadOnly(root)) {
        assertTrue(ro.hasObject(committed.digest()));
        assertEquals(1, ro.objectCount());
      }

      List<String> told = new CopyOnWriteArrayList<>();
      CountDownLatch waiting = new CountDownLatch(1);
      CompletableFuture<NodeCache> opening = CompletableFuture.supplyAsync(() -> {
        try {
          return NodeCache.open(root, holder -> {
            told.add(holder);
            waiting.countDown();
          });
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      assertTrue(waiting.await(10, TimeUnit.SECONDS), "the waiter was never told");
      assertEquals(List.of("another cache-client (pid " + child.process.pid() + ")"), told);
      assertThrows(TimeoutException.class, () -> opening.get(200, TimeUnit.MILLISECONDS),
          "still waiting while the child holds the lock");

      child.sendLine();
      try (NodeCache cache = opening.get(30, TimeUnit.SECONDS)) {
        child.awaitLine("closed", 10);
        assertTrue(cache.hasObject(committed.digest()));
        assertEquals(1, told.size(), "told once");
      }
      assertTrue(child.process.waitFor(10, TimeUnit.SECONDS));
      assertEquals(0, child.process.exitValue(), Files.readString(dir.resolve("child.err")));
    }
  }

  @Test
  @Timeout(30)
  void open_twiceInOneProcess_theSecondWaitsForTheFirstToClose() throws Exception {
    Path root = dir.resolve("cache");
    NodeCache first = NodeCache.open(root, Waiter.silent());
    List<String> told = new CopyOnWriteArrayList<>();
    CompletableFuture<NodeCache> second = CompletableFuture.supplyAsync(() -> {
      try {
        return NodeCache.open(root, told::add);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThrows(TimeoutException.class, () -> second.get(300, TimeUnit.MILLISECONDS));
    assertEquals(1, told.size());
    assertTrue(told.get(0).contains("in this process"), told.get(0));

    first.close();
    second.get(10, TimeUnit.SECONDS).close();
  }
}
