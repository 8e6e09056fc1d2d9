package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to {@code cache-server serve}: it stops taking new requests, lets the upload in flight
 * finish (201), exits with status 0, and then refuses connections.
 */
class ServerSigtermTest {
  @TempDir Path dir;

  @Test
  void sigterm_duringASlowUpload_letsItFinishThenExitsZero() throws Exception {
    Path store = dir.resolve("store");
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "write " + ServerFixture.WRITE_TOKEN + "\n");
    byte[] data = new byte[1 << 20];
    new Random(2).nextBytes(data);
    Digest digest = Digest.of(data);
    int first = 64 << 10;
    int pieces = 10;
    int piece = (data.length - first) / pieces;

    try (ChildServer child = ChildServer.start(store, tokens, dir.resolve("child.log"));
        Socket upload = RawHttp.connect(child.port, 20_000)) {
      RawHttp.send(upload, "PUT /v1/objects/" + digest + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\nContent-Length: " + data.length + "\r\n\r\n");
      OutputStream out = upload.getOutputStream();
      out.write(data, 0, first);
      out.flush();
      Poll.until(Duration.ofSeconds(10), "the upload to be in flight", () -> {
        try (Stream<Path> tmp = Files.list(store.resolve("tmp"))) {
          return tmp.anyMatch(p -> p.toFile().length() >= first);
        }
      });

      child.process.destroy(); // SIGTERM
      int[] during = {200};
      Poll.until(Duration.ofSeconds(10), "the server to stop taking new requests",
          () -> (during[0] = child.healthStatus()) != 200);
      assertEquals(503, during[0], "a new request during the grace");

      for (int i = 0; i < pieces; i++) {
        int from = first + i * piece;
        int to = i == pieces - 1 ? data.length : from + piece;
        out.write(data, from, to - from);
        out.flush();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // a slow client, not a wait
      }
      RawHttp.Response response = RawHttp.read(upload.getInputStream());
      assertEquals(201, response.status(), response.head() + response.body() + "\n" + child.logText());

      assertTrue(child.process.waitFor(20, TimeUnit.SECONDS), "the server did not exit after SIGTERM");
      assertEquals(0, child.process.exitValue(), "exit status after SIGTERM; log:\n" + child.logText());
      assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", child.port).close());
    }

    Map<String, String> s = new TreeMap<>(Map.of("store", store.toString(), "listen", "127.0.0.1:0"));
    try (CacheServer server = CacheServer.start(ServerConfig.defaults().with(s, dir))) {
      assertTrue(server.store().contains(digest), "the upload finished during shutdown was not kept");
      assertEquals(1, server.store().index().objectCount());
    }
  }
}
