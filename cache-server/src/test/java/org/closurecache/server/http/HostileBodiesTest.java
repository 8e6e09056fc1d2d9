package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies no client should send: a Content-Length no long can hold, and uploads that stall
 * after the first buffers. Each gets a clear JSON error, never a 500 or a bare close.
 */
class HostileBodiesTest {
  static final String WRITE = "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\n";
  static final Digest SOME = Digest.of(new byte[] {1});

  @TempDir Path dir;
  ServerFixture f;
  final List<LogRecord> logged = new ArrayList<>();
  final Handler capture = new Handler() {
    @Override
    public synchronized void publish(LogRecord record) {
      logged.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void start() throws Exception {
    Logger.getLogger("").addHandler(capture);
    f = new ServerFixture(dir, Map.of("idle-timeout", "1s", "request-parse-timeout", "1s", "worker-threads", "2"));
  }

  @AfterEach
  void stop() {
    f.close();
    Logger.getLogger("").removeHandler(capture);
  }

  /** Every route that reads a body, with the credential it needs. */
  static List<String> bodyRoutes() {
    return List.of(
        "POST /v1/objects/missing HTTP/1.1\r\n",
        "PUT /v1/objects/" + SOME + " HTTP/1.1\r\n" + WRITE,
        "PUT /v1/manifests/" + SOME + " HTTP/1.1\r\n" + WRITE,
        "PUT /v1/tags/python HTTP/1.1\r\n" + WRITE);
  }

  @Test
  void contentLengthTooLargeForALong_answers400WithOneLogLineOnEveryBodyRoute() throws Exception {
    // 2^64 and 2^64 + 1 wrap around to 0 and 1 in Undertow's own parser and reached the handlers
    // (a 500 and a stack trace); 10^20 - 1 wraps to a negative length, which Undertow refuses itself.
    for (String length : List.of("18446744073709551616", "18446744073709551617", "99999999999999999999")) {
      for (String route : bodyRoutes()) {
        synchronized (capture) {
          logged.clear();
        }
        try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
          RawHttp.send(s, route + "Host: 127.0.0.1\r\nContent-Length: " + length + "\r\n\r\n[]");
          RawHttp.Response r = RawHttp.read(s.getInputStream());
          String what = route + length + "\n" + r.head() + r.body();
          assertEquals(400, r.status(), what);
          if (!r.body().isEmpty() || !length.startsWith("9")) {
            assertTrue(r.body().contains("\"error\":\"bad-request\""), what);
            assertTrue(r.body().contains("Content-Length " + length), what);
          }
          RawHttp.millisUntilClosed(s); // the request's framing is in doubt: its connection ends
        }
        synchronized (capture) {
          assertTrue(logged.stream().allMatch(l -> l.getThrown() == null), route + " logged a stack trace: " + logged);
          assertTrue(logged.size() <= 1, route + " logged " + logged.size() + " lines");
        }
      }
    }
    assertEquals(200, f.curl(f.url + "/healthz").status());
  }

  @Test
  void bodyStalledAfter32KiB_answers408WithTheJsonErrorOnEveryBodyRoute() throws Exception {
    for (String route : bodyRoutes()) {
      try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
        // past the first 16 KiB buffer, then nothing: this used to get a bare close
        RawHttp.send(s, route + "Host: 127.0.0.1\r\nContent-Length: 60000\r\n\r\n" + "[".repeat(32 << 10));
        RawHttp.Response r;
        try {
          r = RawHttp.read(s.getInputStream());
        } catch (IOException e) {
          throw new AssertionError(route + ": " + e.getMessage(), e);
        }
        String what = route + r.head() + r.body();
        assertEquals(408, r.status(), what);
        assertTrue(r.body().contains("\"error\":\"request-timeout\""), what);
        assertTrue(RawHttp.millisUntilClosed(s) < 10_000, what);
      }
    }
    assertEquals(0, f.server.store().index().objectCount());
    assertEquals(200, f.curl(f.url + "/healthz").status());
  }

  @Test
  void bodyAbandonedMidway_keepsNothingAndLogsNoStackTrace() throws Exception {
    for (String route : bodyRoutes()) {
      synchronized (capture) {
        logged.clear();
      }
      try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
        RawHttp.send(s, route + "Host: 127.0.0.1\r\nContent-Length: 60000\r\n\r\n" + "[".repeat(20_000));
      } // and gone
      Poll.until(java.time.Duration.ofSeconds(10), "the abandoned upload's temp file to go", () -> {
        try (var files = java.nio.file.Files.list(f.server.store().layout().tmpDir())) {
          return files.findAny().isEmpty();
        }
      });
      assertEquals(200, f.curl(f.url + "/healthz").status());
      synchronized (capture) {
        assertTrue(logged.stream().allMatch(l -> l.getThrown() == null), route + " logged a stack trace: " + logged);
      }
    }
    assertEquals(0, f.server.store().index().objectCount());
  }
}
