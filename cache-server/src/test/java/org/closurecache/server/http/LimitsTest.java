package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.SignedManifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests over the size limits: refused, and the server stays healthy. */
class LimitsTest {
  @TempDir Path dir;
  ServerFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir, Map.of("max-missing-batch", "1000"));
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void headersOf64KiB_areRefusedAndTheServerStaysHealthy() throws Exception {
    StringBuilder request = new StringBuilder("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (int i = 0; i < 64; i++) {
      request.append("X-Pad-").append(i).append(": ").append("a".repeat(1000)).append("\r\n");
    }
    request.append("\r\n");
    try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
      int status;
      try {
        RawHttp.send(s, request.toString());
        status = RawHttp.read(s.getInputStream()).status();
      } catch (IOException closedOrReset) {
        status = -1; // the server closed the connection: allowed
      }
      assertTrue(status == 400 || status == 431 || status == -1, "status " + status);
      if (status != -1) {
        RawHttp.millisUntilClosed(s); // and it does not keep the connection
      }
    }
    assertEquals(200, f.curl(f.url + "/healthz").status());
  }

  @Test
  void hugeChunkedMissingBatch_answers413() throws Exception {
    // the limit for 1,000 digests is 81,024 bytes; send 1 MiB, chunked (no Content-Length)
    StringBuilder sb = new StringBuilder("[");
    String d = "\"" + Digest.of(new byte[0]) + "\"";
    while (sb.length() < (1 << 20)) {
      sb.append(sb.length() == 1 ? "" : ",").append(d);
    }
    Path body = dir.resolve("missing.json");
    Files.writeString(body, sb.append(']'));
    ServerFixture.Curl r = f.curl("-X", "POST", "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/json",
        "--data-binary", "@" + body, f.url + "/v1/objects/missing");
    assertEquals(413, r.status(), r.text());
    assertTrue(r.text().contains("\"error\":\"too-large\""), r.text());
    assertEquals(200, f.curl(f.url + "/healthz").status());
  }

  @Test
  void manifestOverTheLimit_withContentLength_is413BeforeTheBodyIsSent() throws Exception {
    long declared = SignedManifest.MAX_BYTES + 1L;
    try (Socket s = RawHttp.connect(f.server.port(), 10_000)) {
      // headers only: the answer must come without a byte of the body
      RawHttp.send(s, "PUT /v1/manifests/" + Digest.of(new byte[] {1}) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + ServerFixture.WRITE_TOKEN + "\r\nContent-Length: " + declared + "\r\n\r\n");
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertEquals(413, r.status(), r.head() + r.body());
      assertTrue(r.body().contains("\"error\":\"too-large\""), r.body());
    }
    assertEquals(200, f.curl(f.url + "/healthz").status());
  }
}
