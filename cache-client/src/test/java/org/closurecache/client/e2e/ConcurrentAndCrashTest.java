package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.client.cli.CacheClientMain;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes on one node: several pulls at once on one cache, and pulls killed with SIGKILL
 * at random points. Nothing may fail, corrupt, or fetch an object twice.
 */
class ConcurrentAndCrashTest {
  private static final Pattern OBJECT_GETS = Pattern.compile(
      "closure_cache_http_requests_total\\{method=\"GET\",route=\"objects\",status=\"200\"\\} ([0-9.]+)");

  @TempDir Path dir;
  Node node;
  CacheServer master;
  String manifest;
  int objects;

  @BeforeEach
  void publish() throws Exception {
    node = new Node(dir);
    master = node.master("master");
    Node.Run r = node.cli("publish", "--master", master.baseUrl(), "--key", node.key.toString(),
        "--token-file", node.tokens.toString(), "--quiet", "--tag", "py", "--trace", "--",
        "/usr/bin/python3", "-c", "import json, sqlite3, ssl");
    assertEquals(0, r.status(), r.err());
    manifest = r.lastLine();
    objects = (int) master.store().index().objectCount();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  Process childPull(Path cache, File log) throws Exception {
    return new ProcessBuilder(Node.javaCommand(CacheClientMain.class.getName(), List.of("pull", "--master",
        master.baseUrl(), "--cache", cache.toString(), "--trust", node.pub.toString(), "py")))
        .redirectErrorStream(true).redirectOutput(log).start();
  }

  double objectGets() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    master.metrics().write(out);
    Matcher m = OBJECT_GETS.matcher(out.toString(StandardCharsets.UTF_8));
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void manyPullsAtOnce_allSucceed_andFetchEachObjectOnce() throws Exception {
    Path cache = dir.resolve("cache");
    List<Process> pulls = new ArrayList<>();
    List<File> logs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      File log = dir.resolve("pull-" + i + ".log").toFile();
      logs.add(log);
      pulls.add(childPull(cache, log));
    }
    for (int i = 0; i < pulls.size(); i++) {
      assertTrue(pulls.get(i).waitFor(120, TimeUnit.SECONDS), "pull " + i + " hung");
      assertEquals(0, pulls.get(i).exitValue(), Files.readString(logs.get(i).toPath()));
    }
    assertEquals(objects, (int) objectGets(), "every object fetched exactly once");
    assertEquals(0, Node.cli("fsck", "--cache", cache.toString()).status());
  }

  @Test
  void pullsKilledAtRandomPoints_leaveACacheThatFsckPasses_andTheNextPullCompletes() throws Exception {
    Path cache = dir.resolve("cache");
    Random random = new Random(42);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int kills = 0;
    for (int round = 0; round < 6 && System.nanoTime() < deadline; round++) {
      Process p = childPull(cache, dir.resolve("kill-" + round + ".log").toFile());
      // wait until it is fetching (a temp file appears), then kill it a little later
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (p.isAlive() && System.nanoTime() < until && !fetching(cache)) {
        p.waitFor(5, TimeUnit.MILLISECONDS);
      }
      p.waitFor(random.nextInt(200), TimeUnit.MILLISECONDS);
      if (p.isAlive()) {
        p.destroyForcibly();
        kills++;
      }
      assertTrue(p.waitFor(20, TimeUnit.SECONDS));
      Node.Run fsck = Node.cli("fsck", "--cache", cache.toString());
      assertTrue(fsck.out().contains(" 0 corrupt"), fsck.out() + fsck.err());
      Node.cli("gc", "--cache", cache.toString(), "--max-size", "0");
    }
    assertTrue(kills >= 2, "only " + kills + " pulls were killed mid-way");
    Node.Run last = node.pull(master.baseUrl(), cache, "py");
    assertEquals(0, last.status(), last.err());
    Node.Run fsck = Node.cli("fsck", "--cache", cache.toString());
    assertEquals(0, fsck.status(), fsck.out());
  }

  @Test
  void pullKilledBeforeItsFirstBatchCommits_theNextPullFetchesOnlyWhatItHadNotVerified() throws Exception {
    assertTrue(objects < 256, "the closure fits in one batch: " + objects + " objects");
    for (int attempt = 0; attempt < 5; attempt++) {
      Path cache = dir.resolve("cache-" + attempt);
      ProcessBuilder one = new ProcessBuilder(Node.javaCommand(CacheClientMain.class.getName(), List.of("pull",
          "--parallel", "1", "--master", master.baseUrl(), "--cache", cache.toString(), "--trust",
          node.pub.toString(), "py"))).redirectErrorStream(true).redirectOutput(dir.resolve("one.log").toFile());
      Process p = one.start();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (p.isAlive() && System.nanoTime() < until && verified(cache).size() < 2) {
        p.waitFor(1, TimeUnit.MILLISECONDS);
      }
      p.destroyForcibly();
      assertTrue(p.waitFor(20, TimeUnit.SECONDS));
      if (p.exitValue() == 0 || Files.exists(cache.resolve("objects")) && countObjects(cache) > 0) {
        continue; // it committed before the kill landed: try again
      }
      List<Path> kept = verified(cache);
      assertTrue(kept.size() >= 2 && kept.size() < objects, kept.size() + " of " + objects);
      double before = objectGets();

      Node.Run again = node.pull(master.baseUrl(), cache, "py");

      assertEquals(0, again.status(), again.err());
      assertTrue(again.out().contains("\"fetched\":" + objects), again.out());
      assertEquals(objects - kept.size(), (int) (objectGets() - before),
          "only the objects the killed pull had not verified are fetched again");
      assertEquals(List.of(), verified(cache), "the kept downloads were committed");
      Node.Run fsck = Node.cli("fsck", "--cache", cache.toString());
      assertEquals(0, fsck.status(), fsck.out());
      return;
    }
    throw new AssertionError("every pull committed before it could be killed");
  }

  private static List<Path> verified(Path cache) {
    try (var s = Files.list(cache.resolve("tmp"))) {
      return s.filter(f -> f.getFileName().toString().startsWith("verified-")).toList();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  private static long countObjects(Path cache) throws java.io.IOException {
    try (var s = Files.walk(cache.resolve("objects"))) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  private static boolean fetching(Path cache) {
    try (var s = Files.list(cache.resolve("tmp"))) {
      return s.findAny().isPresent();
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
