package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slow-body attack: many unauthenticated clients each send a missing-objects request and then
 * trickle its body a byte at a time. They must not take the worker threads (two here), so tag
 * and manifest reads keep answering fast; and each trickler is cut off with a 408 once its body
 * has taken longer than body-timeout.
 */
class TrickleAttackTest {
  static final int TRICKLERS = 64;
  static final long LATENCY_LIMIT_MS = 100;

  @TempDir Path dir;
  ServerFixture f;
  final List<Socket> tricklers = new ArrayList<>();
  final ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir, Map.of("worker-threads", "2", "body-timeout", "4s"));
  }

  @AfterEach
  void stop() throws IOException {
    clock.shutdownNow();
    for (Socket s : tricklers) {
      s.close();
    }
    f.close();
  }

  @Test
  void sixtyFourTricklers_tagAndManifestGetsStillAnswerWithin100ms_andTricklersGet408() throws Exception {
    byte[] content = "#!/bin/true\n".getBytes();
    f.server.store().put(Digest.of(content), new ByteArrayInputStream(content), content.length);
    Manifest manifest = ServerFixture.manifestOf(content);
    SignedManifest signed = SignedManifest.sign(manifest, f.signer);
    f.server.store().index().putManifest(signed.manifestDigest(), signed.toBytes());
    TagRecord tag = TagRecord.first("python", signed.manifestDigest(), Instant.parse("2026-12-01T00:00:00Z"));
    f.server.store().index().putTag("python", 1, SignedTag.sign(tag, f.signer).toBytes());
    String tagGet = "GET /v1/tags/python HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    String manifestGet = "GET /v1/manifests/" + signed.manifestDigest() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 200; i++) { // warm up: the JIT is not what is measured
      get(tagGet);
      get(manifestGet);
    }

    long started = System.nanoTime();
    for (int i = 0; i < TRICKLERS; i++) {
      Socket s = RawHttp.connect(f.server.port(), 20_000);
      tricklers.add(s);
      RawHttp.send(s, "POST /v1/objects/missing HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100000\r\n\r\n[");
    }
    // every trickler sends one more byte every 250 ms: a body that never stalls and never ends
    clock.scheduleAtFixedRate(() -> {
      for (Socket s : tricklers) {
        try {
          RawHttp.send(s, " ");
        } catch (IOException cutOff) {
          // the server closed it: that is the point
        }
      }
    }, 250, 250, TimeUnit.MILLISECONDS);

    // a reader asking for the tag and the manifest every 20 ms while every trickler is mid-body,
    // until shortly before body-timeout cuts them off
    List<long[]> latencies = new ArrayList<>();
    CompletableFuture<Void> measured = new CompletableFuture<>();
    clock.scheduleAtFixedRate(() -> {
      try {
        if (System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(3000)) {
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
    int rounds = latencies.size();
    System.out.printf("trickle attack: %d tricklers, %d rounds: worst tag GET %d ms, worst manifest GET %d ms%n",
        TRICKLERS, rounds, worstTag, worstManifest);
    assertTrue(worstTag < LATENCY_LIMIT_MS, "worst tag GET took " + worstTag + " ms");
    assertTrue(worstManifest < LATENCY_LIMIT_MS, "worst manifest GET took " + worstManifest + " ms");

    for (Socket s : tricklers) {
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(408, r.status(), r.head() + r.body());
      assertTrue(r.body().contains("body-timeout"), r.body());
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
