package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many clients at once, over HTTP: one visible file per object and exact counts. */
class ConcurrentUploadsTest {
  @TempDir Path dir;
  ServerFixture f;
  ExecutorService pool;

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir, Map.of());
    pool = Executors.newFixedThreadPool(8);
  }

  @AfterEach
  void stop() throws Exception {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
    f.close();
  }

  @Test
  void eightClientsPuttingTheSame5MiB_storeOneFile() throws Exception {
    byte[] data = new byte[5 << 20];
    new Random(5).nextBytes(data);
    Digest digest = Digest.of(data);
    Path file = dir.resolve("five.bin");
    Files.write(file, data);
    List<Future<ServerFixture.Curl>> puts = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      puts.add(pool.submit(() -> f.curl("-X", "PUT", "-H", "Authorization: Bearer " + ServerFixture.WRITE_TOKEN,
          "--data-binary", "@" + file, f.url + "/v1/objects/" + digest)));
    }
    int created = 0;
    for (Future<ServerFixture.Curl> put : puts) {
      ServerFixture.Curl r = put.get(60, TimeUnit.SECONDS);
      assertTrue(r.status() == 200 || r.status() == 201, r.status() + " " + r.text());
      created += r.status() == 201 ? 1 : 0;
    }
    assertTrue(created >= 1, "no upload created the object");
    try (Stream<Path> files = Files.walk(f.server.store().layout().objectsDir())) {
      assertEquals(1, files.filter(Files::isRegularFile).count());
    }
    try (Stream<Path> tmp = Files.list(f.server.store().layout().tmpDir())) {
      assertEquals(0, tmp.count());
    }
    String health = f.curl(f.url + "/healthz").text();
    assertTrue(health.contains("\"objects\":1,") && health.contains("\"bytes\":" + data.length + ","), health);
    String metrics = f.curl(f.url + "/metrics").text();
    assertTrue(metrics.contains("closure_cache_objects_stored 1.0"), metrics);
    assertTrue(metrics.contains("closure_cache_object_bytes_stored " + (double) data.length), metrics);
    double put200 = MetricsTest.value(metrics, "closure_cache_http_requests_total{method=\"PUT\",route=\"objects\",status=\"200\"}");
    double put201 = MetricsTest.value(metrics, "closure_cache_http_requests_total{method=\"PUT\",route=\"objects\",status=\"201\"}");
    assertEquals(8.0, put200 + put201, metrics);
    assertEquals(created, (int) put201, metrics);
  }

  @Test
  void eightClientsTimesFiftyDistinctObjects_allStoredAndCounted() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<Future<Long>> clients = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      int seed = c;
      clients.add(pool.submit(() -> {
        Random random = new Random(seed);
        long bytes = 0;
        for (int i = 0; i < 50; i++) {
          byte[] data = new byte[1 + random.nextInt(8192)];
          random.nextBytes(data);
          HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(f.url + "/v1/objects/" + Digest.of(data)))
              .header("Authorization", "Bearer " + ServerFixture.WRITE_TOKEN).timeout(Duration.ofSeconds(20))
              .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(), HttpResponse.BodyHandlers.ofString());
          assertEquals(201, r.statusCode(), r.body());
          bytes += data.length;
        }
        return bytes;
      }));
    }
    long bytes = 0;
    for (Future<Long> c : clients) {
      bytes += c.get(60, TimeUnit.SECONDS);
    }
    String health = f.curl(f.url + "/healthz").text();
    assertTrue(health.contains("\"objects\":400,") && health.contains("\"bytes\":" + bytes + ","), health);
    try (Stream<Path> files = Files.walk(f.server.store().layout().objectsDir())) {
      assertEquals(400, files.filter(Files::isRegularFile).count());
    }
  }
}
