package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that stop sending: a half-sent request head, and an upload body that stalls. With
 * idle-timeout and request-parse-timeout at 1 s, the server closes both connections within
 * seconds, keeps nothing and frees the worker (tmp/ empties).
 */
class StalledClientTest {
  @TempDir Path dir;
  ServerFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir, Map.of("idle-timeout", "1s", "request-parse-timeout", "1s", "worker-threads", "2"));
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void halfSentHeaders_connectionIsClosed() throws Exception {
    try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
      RawHttp.send(s, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: aaaa");
      long ms = RawHttp.millisUntilClosed(s);
      assertTrue(ms < 10_000, ms + " ms");
    }
    assertEquals(200, f.curl(f.url + "/healthz").status());
  }

  @Test
  void uploadBodyThatStalls_connectionIsClosedAndNothingIsKept() throws Exception {
    Digest digest = Digest.of(new byte[100_000]);
    // More stalled uploads than worker threads: none may hold a worker forever.
    Socket[] sockets = new Socket[3];
    try {
      for (int i = 0; i < sockets.length; i++) {
        sockets[i] = RawHttp.connect(f.server.port(), 10_000);
        RawHttp.send(sockets[i], "PUT /v1/objects/" + digest + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\nContent-Length: 100000\r\n\r\n0123456789");
      }
      for (Socket s : sockets) {
        RawHttp.Response r = RawHttp.read(s.getInputStream());
        assertEquals(408, r.status(), r.head() + r.body());
        assertTrue(r.body().contains("\"error\":\"request-timeout\""), r.body());
        long ms = RawHttp.millisUntilClosed(s);
        assertTrue(ms < 10_000, ms + " ms");
      }
    } finally {
      for (Socket s : sockets) {
        if (s != null) {
          s.close();
        }
      }
    }
    Path tmp = f.server.store().layout().tmpDir();
    Poll.until(Duration.ofSeconds(10), "tmp/ to be empty", () -> {
      try (Stream<Path> files = Files.list(tmp)) {
        return files.findAny().isEmpty();
      }
    });
    assertFalse(f.server.store().contains(digest));
    assertEquals(0, f.server.store().index().objectCount());
    assertEquals(200, f.curl(f.url + "/healthz").status());
    assertTrue(f.curl(f.url + "/metrics").text().contains("reason=\"stalled\"} 3.0"));
  }

  @Test
  void manifestBodyThatStalls_isTimedOutToo() throws Exception {
    Digest digest = Digest.of(new byte[] {1});
    try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
      RawHttp.send(s, "PUT /v1/manifests/" + digest + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\nContent-Length: 5000\r\n\r\n{\"manifest\"");
      assertEquals(408, RawHttp.read(s.getInputStream()).status());
      assertTrue(RawHttp.millisUntilClosed(s) < 10_000);
    }
  }

  @Test
  void slowButSteadyUpload_isNotCutOff() throws Exception {
    byte[] data = new byte[60_000];
    new java.util.Random(3).nextBytes(data);
    Digest digest = Digest.of(data);
    try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
      RawHttp.send(s, "PUT /v1/objects/" + digest + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\nContent-Length: " + data.length + "\r\n\r\n");
      // 6 pieces 400 ms apart: 2.4 s in all, more than the 1 s idle-timeout, never idle that long
      for (int i = 0; i < 6; i++) {
        s.getOutputStream().write(data, i * 10_000, 10_000);
        s.getOutputStream().flush();
        if (i < 5) {
          java.util.concurrent.locks.LockSupport.parkNanos(400_000_000L); // a slow client, not a wait
        }
      }
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(201, r.status(), r.head() + r.body());
    }
    assertTrue(f.server.store().contains(digest));
  }
}
