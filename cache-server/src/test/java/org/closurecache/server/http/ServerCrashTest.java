package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole server killed with SIGKILL: in the middle of a 20 MiB upload and of bursts of small
 * concurrent uploads. After a restart on the same store nothing partial is visible, tmp/ is
 * empty, every object hashes to its name, every acknowledged upload survived, and the counts
 * agree with the files.
 */
class ServerCrashTest {
  private static final int BIG = 20 << 20;
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;

  @Test
  void killMinus9_duringABigUploadAndBurstsOfSmallOnes_leavesAConsistentStore() throws Exception {
    Path store = dir.resolve("store");
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "write " + ServerFixture.WRITE_TOKEN + "\n");
    byte[] big = new byte[BIG];
    new Random(1).nextBytes(big);
    Digest bigDigest = Digest.of(big);
    Set<Digest> acknowledged = ConcurrentHashMap.newKeySet();

    long started = System.nanoTime();
    int rounds = 0;
    do {
      try (ChildServer child = ChildServer.start(store, tokens, dir.resolve("child.log"))) {
        Socket bigUpload = null;
        if (rounds == 0) {
          bigUpload = RawHttp.connect(child.port, 10_000);
          RawHttp.send(bigUpload, "PUT /v1/objects/" + bigDigest + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              + "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\nContent-Length: " + BIG + "\r\n\r\n");
          OutputStream out = bigUpload.getOutputStream();
          out.write(big, 0, BIG / 2);
          out.flush();
          awaitTempFileOfAtLeast(store.resolve("tmp"), 1 << 20);
        }
        Burst burst = new Burst(child.url(), rounds, acknowledged);
        burst.awaitAcknowledged(20 * (rounds + 1));
        child.kill();
        burst.stop();
        if (bigUpload != null) {
          bigUpload.close();
        }
      }
      rounds++;
      int tempFilesRemoved = assertConsistentAfterRestart(store, bigDigest, acknowledged);
      if (rounds == 1) {
        assertTrue(tempFilesRemoved >= 1, "the killed big upload left no temp file to clean");
      }
    } while (rounds < 4 && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20));
    System.out.println("[http] " + rounds + " kill -9 rounds, " + acknowledged.size() + " uploads acknowledged");
  }

  private static void awaitTempFileOfAtLeast(Path tmp, long bytes) throws Exception {
    Poll.until(Duration.ofSeconds(15), "the big upload to reach " + bytes + " bytes in " + tmp, () -> {
      try (Stream<Path> files = Files.list(tmp)) {
        return files.anyMatch(p -> p.toFile().length() >= bytes);
      }
    });
  }

  /** Answers how many temp files the restart removed. */
  private static int assertConsistentAfterRestart(Path store, Digest bigDigest, Set<Digest> acknowledged)
      throws Exception {
    Map<String, String> s = new TreeMap<>(Map.of("store", store.toString(), "listen", "127.0.0.1:0",
        "shutdown-grace", "1s"));
    try (CacheServer server = CacheServer.start(ServerConfig.defaults().with(s, store))) {
      String url = server.baseUrl();
      assertEquals(404, get(url + "/v1/objects/" + bigDigest).statusCode(), "the partial big upload is visible");
      try (Stream<Path> tmp = Files.list(store.resolve("tmp"))) {
        assertEquals(List.of(), tmp.toList(), "tmp/ after restart");
      }
      List<Path> files;
      try (Stream<Path> walk = Files.walk(store.resolve("objects"))) {
        files = walk.filter(Files::isRegularFile).toList();
      }
      long bytes = 0;
      for (Path f : files) {
        Digest name = Digest.ofHex(f.getFileName().toString());
        HttpResponse<byte[]> got = get(url + "/v1/objects/" + name);
        assertEquals(200, got.statusCode(), "GET " + name);
        assertEquals(name, Digest.of(got.body()), "object " + name + " does not hash to its name");
        bytes += got.body().length;
      }
      for (Digest d : acknowledged) {
        assertTrue(Files.isRegularFile(server.store().layout().objectPath(d)), "acknowledged upload lost: " + d);
      }
      String health = new String(get(url + "/healthz").body());
      assertTrue(health.contains("\"objects\":" + files.size() + ","), health + " vs " + files.size() + " files");
      assertTrue(health.contains("\"bytes\":" + bytes + ","), health + " vs " + bytes + " bytes");
      return server.store().startupReconciliation().tempFilesRemoved();
    }
  }

  private static HttpResponse<byte[]> get(String url) throws IOException, InterruptedException {
    return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Threads uploading small random objects as fast as they can until the server dies. */
  private static final class Burst {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final Set<Digest> acknowledged;
    private final int before;

    Burst(String url, int round, Set<Digest> acknowledged) {
      this.acknowledged = acknowledged;
      this.before = acknowledged.size();
      for (int t = 0; t < 6; t++) {
        Random random = new Random(round * 100L + t);
        Thread thread = new Thread(() -> {
          for (int i = 0; i < 5_000 && !stop.get(); i++) {
            byte[] data = new byte[1 + random.nextInt(64 << 10)];
            random.nextBytes(data);
            Digest d = Digest.of(data);
            try {
              HttpResponse<Void> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/v1/objects/" + d))
                      .header("Authorization", "Bearer " + ServerFixture.WRITE_TOKEN)
                      .timeout(Duration.ofSeconds(10))
                      .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(),
                  HttpResponse.BodyHandlers.discarding());
              if (r.statusCode() == 201) {
                acknowledged.add(d);
              }
            } catch (IOException e) {
              return; // the server is gone
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "burst-" + t);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
    }

    void awaitAcknowledged(int total) throws Exception {
      Poll.until(Duration.ofSeconds(15), total + " acknowledged uploads",
          () -> acknowledged.size() - before >= total);
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(15_000);
        assertTrue(!t.isAlive(), t.getName() + " did not stop");
      }
    }
  }
}
