package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slow-body attack: many clients each start a request and then trickle its body a byte at a
 * time. They must not take the worker threads (two here), so tag and manifest reads keep
 * answering fast; and each trickler is cut off with a 408 once its body has taken too long.
 */
class TrickleAttackTest {
  static final long LATENCY_LIMIT_MS = 100;

  @TempDir Path dir;
  ServerFixture f;
  final List<Socket> tricklers = new ArrayList<>();
  final ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
  String tagGet;
  String manifestGet;

  @AfterEach
  void stop() throws IOException {
    clock.shutdownNow();
    for (Socket s : tricklers) {
      s.close();
    }
    f.close();
  }

  @Test
  void sixtyFourUnauthenticatedMissingTricklers_tagAndManifestGetsStillAnswerWithin100ms_andTricklersGet408()
      throws Exception {
    start(Map.of("worker-threads", "2", "body-timeout", "4s"));
    long started = System.nanoTime();
    trickle(64, "POST /v1/objects/missing HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: 100000\r\n\r\n[");
    // while every trickler is mid-body: until shortly before body-timeout cuts them off
    measureReads("64 missing-batch tricklers", started, 3000);
    expectEveryTricklerCutOff("body-timeout", started);
  }

  @Test
  void objectUploadTricklers_withAWriteToken_keepOnlyEachOtherWaiting_andGet408() throws Exception {
    start(Map.of("worker-threads", "2", "upload-threads", "2", "upload-timeout", "2s"));
    long started = System.nanoTime();
    // more tricklers than upload threads: two stream, the rest queue; none takes a worker
    Digest object = Digest.of(new byte[] {7});
    trickle(6, "PUT /v1/objects/" + object + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\nContent-Length: 100000\r\n\r\n.");
    measureReads("6 object-upload tricklers, 2 upload threads", started, 3000);
    // the queued ones start their 2 s when a thread frees up: 3 rounds of 2
    for (Socket s : tricklers) {
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(408, r.status(), r.head() + r.body());
      assertTrue(r.body().contains("upload-timeout"), r.body());
    }
    assertFalse(f.server.store().contains(object));
  }

  private void start(Map<String, String> settings) throws Exception {
    f = new ServerFixture(dir, settings);
    byte[] content = "#!/bin/true\n".getBytes();
    f.server.store().put(Digest.of(content), new ByteArrayInputStream(content), content.length);
    SignedManifest signed = SignedManifest.sign(ServerFixture.manifestOf(content), f.signer);
    f.server.store().putManifest(signed.manifestDigest(), signed.toBytes());
    TagRecord tag = TagRecord.first("python", signed.manifestDigest(), Instant.parse("2026-12-01T00:00:00Z"));
    f.server.store().putTag("python", 1, SignedTag.sign(tag, f.signer).toBytes());
    tagGet = "GET /v1/tags/python HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    manifestGet = "GET /v1/manifests/" + signed.manifestDigest() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 200; i++) { // warm up: the JIT is not what is measured
      get(tagGet);
      get(manifestGet);
    }
  }

  /** Opens {@code count} connections sending {@code head}, then one more byte each every 250 ms. */
  private void trickle(int count, String head) throws IOException {
    for (int i = 0; i < count; i++) {
      Socket s = RawHttp.connect(f.server.port(), 60_000);
      tricklers.add(s);
      RawHttp.send(s, head);
    }
    clock.scheduleAtFixedRate(() -> {
      for (Socket s : tricklers) {
        try {
          RawHttp.send(s, " ");
        } catch (IOException cutOff) {
          // the server closed it: that is the point
        }
      }
    }, 250, 250, TimeUnit.MILLISECONDS);
  }

  /** GETs the tag and the manifest every 20 ms until {@code untilMillis} after {@code started}. */
  private void measureReads(String attack, long started, long untilMillis) throws Exception {
    List<long[]> latencies = new ArrayList<>();
    CompletableFuture<Void> measured = new CompletableFuture<>();
    clock.scheduleAtFixedRate(() -> {
      try {
        if (System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(untilMillis)) {
          measured.complete(null);
          throw new CancellationException("measured enough");
        }
        latencies.add(new long[] {get(tagGet), get(manifestGet)});
      } catch (IOException | RuntimeException | Error e) {
        measured.completeExceptionally(e);
        throw e instanceof RuntimeException r ? r : new RuntimeException(e);
      }
    }, 20, 20, TimeUnit.MILLISECONDS);
    measured.get(30, TimeUnit.SECONDS);
    long worstTag = latencies.stream().mapToLong(l -> l[0]).max().orElseThrow();
    long worstManifest = latencies.stream().mapToLong(l -> l[1]).max().orElseThrow();
    System.out.printf("trickle attack, %s: %d rounds: worst tag GET %d ms, worst manifest GET %d ms%n",
        attack, latencies.size(), worstTag, worstManifest);
    assertTrue(worstTag < LATENCY_LIMIT_MS, "worst tag GET took " + worstTag + " ms");
    assertTrue(worstManifest < LATENCY_LIMIT_MS, "worst manifest GET took " + worstManifest + " ms");
  }

  private void expectEveryTricklerCutOff(String limit, long started) throws Exception {
    for (Socket s : tricklers) {
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(408, r.status(), r.head() + r.body());
      assertTrue(r.body().contains(limit), r.body());
      RawHttp.millisUntilClosed(s);
    }
    long cutOffAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(cutOffAfter < 10_000, "tricklers cut off after " + cutOffAfter + " ms");
    assertEquals(200, f.curl(f.url + "/healthz").status());
  }

  /** One GET on a fresh connection; answers its latency in ms, failing unless it is a 200. */
  private long get(String request) throws IOException {
    long start = System.nanoTime();
    try (Socket s = RawHttp.connect(f.server.port(), 5_000)) {
      RawHttp.send(s, request);
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(200, r.status(), r.head() + r.body());
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }
}
