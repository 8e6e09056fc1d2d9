package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Object routes through curl, the real client, against a real server on port 0. */
class ObjectRoutesTest {
  @TempDir Path dir;
  ServerFixture f;
  byte[] data;
  Digest digest;
  Path file;

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir, Map.of("max-object-size", "2M"));
    data = new byte[300_000];
    new Random(7).nextBytes(data);
    digest = Digest.of(data);
    file = dir.resolve("object.bin");
    Files.write(file, data);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  String objectUrl(Digest d) {
    return f.url + "/v1/objects/" + d;
  }

  ServerFixture.Curl put(String token, Path body, Digest as) throws Exception {
    return f.curl("-X", "PUT", "-H", "Authorization: Bearer " + token, "--data-binary", "@" + body, objectUrl(as));
  }

  @Test
  void put_thenGet_servesTheBytesWithImmutableCachingHeaders() throws Exception {
    ServerFixture.Curl created = put(ServerFixture.WRITE_TOKEN, file, digest);
    assertEquals(201, created.status(), created.text());
    assertEquals(200, put(ServerFixture.WRITE_TOKEN, file, digest).status());

    ServerFixture.Curl get = f.curl(objectUrl(digest));
    assertEquals(200, get.status());
    assertArrayEquals(data, get.body());
    String h = get.headers().toLowerCase();
    assertTrue(h.contains("etag: \"" + digest + "\""), h);
    assertTrue(h.contains("cache-control: public, max-age=31536000, immutable"), h);
    assertTrue(h.contains("content-length: " + data.length), h);
    assertTrue(h.contains("accept-ranges: bytes"), h);

    ServerFixture.Curl head = f.curl("-I", objectUrl(digest));
    assertEquals(200, head.status());
    assertTrue(head.headers().toLowerCase().contains("content-length: " + data.length), head.headers());
  }

  @Test
  void get_withRanges_answers206Or416LikeRfc9110() throws Exception {
    put(ServerFixture.WRITE_TOKEN, file, digest);
    ServerFixture.Curl middle = f.curl("-H", "Range: bytes=100-199", objectUrl(digest));
    assertEquals(206, middle.status());
    assertArrayEquals(Arrays.copyOfRange(data, 100, 200), middle.body());
    assertTrue(middle.headers().contains("bytes 100-199/" + data.length), middle.headers());

    ServerFixture.Curl tail = f.curl("-H", "Range: bytes=299000-", objectUrl(digest));
    assertEquals(206, tail.status());
    assertArrayEquals(Arrays.copyOfRange(data, 299_000, data.length), tail.body());

    ServerFixture.Curl suffix = f.curl("-H", "Range: bytes=-10", objectUrl(digest));
    assertArrayEquals(Arrays.copyOfRange(data, data.length - 10, data.length), suffix.body());

    ServerFixture.Curl resumed = f.curl("-C", "150000", objectUrl(digest));
    assertArrayEquals(Arrays.copyOfRange(data, 150_000, data.length), resumed.body());

    ServerFixture.Curl outside = f.curl("-H", "Range: bytes=400000-", objectUrl(digest));
    assertEquals(416, outside.status());
    assertTrue(outside.headers().contains("bytes */" + data.length), outside.headers());

    ServerFixture.Curl several = f.curl("-H", "Range: bytes=0-1,5-6", objectUrl(digest));
    assertEquals(200, several.status());
    assertEquals(data.length, several.body().length);
  }

  @Test
  void get_withMatchingIfNoneMatch_answers304() throws Exception {
    put(ServerFixture.WRITE_TOKEN, file, digest);
    assertEquals(304, f.curl("-H", "If-None-Match: \"" + digest + "\"", objectUrl(digest)).status());
    assertEquals(200, f.curl("-H", "If-None-Match: \"sha256:" + "0".repeat(64) + "\"", objectUrl(digest)).status());
  }

  @Test
  void get_unknownOrMalformed_answersJsonErrors() throws Exception {
    ServerFixture.Curl unknown = f.curl(objectUrl(digest));
    assertEquals(404, unknown.status());
    assertTrue(unknown.text().contains("\"error\":\"not-found\""), unknown.text());
    ServerFixture.Curl malformed = f.curl(f.url + "/v1/objects/sha256:XYZ");
    assertEquals(400, malformed.status());
    assertTrue(malformed.text().contains("bad-digest"), malformed.text());
    assertEquals(404, f.curl(f.url + "/v2/nothing").status());
    assertEquals(405, f.curl("-X", "DELETE", objectUrl(digest)).status());
  }

  @Test
  void get_underAWrongPath_answersNoSuchRoute_notNotFound() throws Exception {
    // a master URL with a path (http://head:7070/cache) must not look like a master that lacks the tag
    ServerFixture.Curl r = f.curl(f.url + "/cache/v1/tags/python");
    assertEquals(404, r.status());
    assertTrue(r.text().contains("\"error\":\"no-such-route\""), r.text());
    assertTrue(r.text().contains("closure-cache master"), r.text());
  }

  @Test
  void put_whenBytesDoNotMatchTheName_refusesNamingBothAndKeepsNothing() throws Exception {
    Digest other = Digest.of("something else".getBytes());
    ServerFixture.Curl r = put(ServerFixture.WRITE_TOKEN, file, other);
    assertEquals(400, r.status());
    assertTrue(r.text().contains("\"expected\":\"" + other + "\""), r.text());
    assertTrue(r.text().contains("\"actual\":\"" + digest + "\""), r.text());
    assertEquals(404, f.curl(objectUrl(other)).status());
    assertEquals(404, f.curl(objectUrl(digest)).status());
    try (var tmp = Files.list(f.server.store().layout().tmpDir())) {
      assertEquals(0, tmp.count());
    }
    assertTrue(f.curl(f.url + "/metrics").text().contains("reason=\"digest-mismatch\""));
  }

  @Test
  void put_withoutAWriteCredential_isRefusedAndChangesNothing() throws Exception {
    ServerFixture.Curl none = f.curl("-X", "PUT", "--data-binary", "@" + file, objectUrl(digest));
    assertEquals(401, none.status());
    assertTrue(none.headers().contains("WWW-Authenticate: Bearer"), none.headers());
    assertEquals(401, put("not-a-known-token-at-all", file, digest).status());
    assertEquals(403, put(ServerFixture.READ_TOKEN, file, digest).status());
    assertEquals(404, f.curl(objectUrl(digest)).status());
    assertEquals(0, f.server.store().index().objectCount());
  }

  @Test
  void put_overTheSizeCap_answers413WithOrWithoutContentLength() throws Exception {
    byte[] big = new byte[3 << 20];
    Path bigFile = dir.resolve("big.bin");
    Files.write(bigFile, big);
    Digest bigDigest = Digest.of(big);
    assertEquals(413, put(ServerFixture.WRITE_TOKEN, bigFile, bigDigest).status());
    ServerFixture.Curl chunked = f.curl("-X", "PUT", "-H", "Authorization: Bearer " + ServerFixture.WRITE_TOKEN,
        "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + bigFile, objectUrl(bigDigest));
    assertEquals(413, chunked.status());
    assertFalse(f.server.store().contains(bigDigest));
  }

  @Test
  void missing_answersWhatTheStoreLacksInTheOrderAsked() throws Exception {
    put(ServerFixture.WRITE_TOKEN, file, digest);
    Digest a = Digest.of(new byte[] {1});
    Digest b = Digest.of(new byte[] {2});
    ServerFixture.Curl r = f.curl("-X", "POST", "-H", "Content-Type: application/json",
        "--data", "[\"" + b + "\",\"" + digest + "\",\"" + a + "\"]", f.url + "/v1/objects/missing");
    assertEquals(200, r.status(), r.text());
    assertEquals("[\"" + b + "\",\"" + a + "\"]", r.text());
  }

  @Test
  void missing_withHostileBodies_answers4xx() throws Exception {
    String url = f.url + "/v1/objects/missing";
    ServerFixture.Curl notJson = f.curl("-X", "POST", "--data", "[\"sha256:", url);
    assertEquals(400, notJson.status());
    ServerFixture.Curl notArray = f.curl("-X", "POST", "--data", "{\"a\":1}", url);
    assertEquals(400, notArray.status());
    ServerFixture.Curl badElement = f.curl("-X", "POST", "--data", "[\"" + digest + "\",42]", url);
    assertEquals(400, badElement.status());
    assertTrue(badElement.text().contains("element 1"), badElement.text());
    Path huge = dir.resolve("huge.json");
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 100_001; i++) {
      sb.append(i == 0 ? "" : ",").append('"').append(digest).append('"');
    }
    Files.writeString(huge, sb.append(']'));
    assertEquals(413, f.curl("-X", "POST", "--data-binary", "@" + huge, url).status());
  }

  @Test
  void healthAndMetrics_reportTheStore() throws Exception {
    put(ServerFixture.WRITE_TOKEN, file, digest);
    ServerFixture.Curl health = f.curl(f.url + "/healthz");
    assertEquals(200, health.status());
    assertTrue(health.text().contains("\"objects\":1"), health.text());
    f.curl(objectUrl(digest));
    String metrics = f.curl(f.url + "/metrics").text();
    assertTrue(metrics.contains("closure_cache_objects_stored 1.0"), metrics);
    assertTrue(metrics.contains("closure_cache_object_bytes_stored " + (double) data.length), metrics);
    assertTrue(metrics.contains("closure_cache_http_requests_total{method=\"PUT\",route=\"objects\",status=\"201\"} 1.0"), metrics);
    assertTrue(metrics.contains("closure_cache_object_bytes_served_total " + (double) data.length), metrics);
  }
}
