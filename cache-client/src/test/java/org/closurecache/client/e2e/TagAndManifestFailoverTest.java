package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.Signer;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tag or manifest that fails the node's checks at the first master or proxy (signed by a key the
 * node does not trust, or a tag older than the cache accepted) moves the pull on to the next master,
 * as bytes that do not match their digest do; when every master fails, each is named with its reason.
 */
class TagAndManifestFailoverTest {
  @TempDir Path dir;
  Node node;
  CacheServer good;
  HttpServer fake;
  volatile byte[] fakeTag;
  volatile byte[] fakeManifest;
  Path cache;

  @BeforeEach
  void start() throws Exception {
    node = new Node(dir);
    good = node.master("good");
    cache = dir.resolve("cache");
    // a proxy that serves what it is given for tags and manifests, and the API's 404 for the rest
    fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    fake.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      byte[] body = path.startsWith("/v1/tags/") ? fakeTag : path.startsWith("/v1/manifests/") ? fakeManifest : null;
      int status = 200;
      if (body == null) {
        status = 404;
        body = "{\"error\":\"not-found\",\"message\":\"not here\"}".getBytes(StandardCharsets.UTF_8);
      }
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    fake.start();
  }

  @AfterEach
  void stop() {
    fake.stop(0);
    node.close();
  }

  String fakeUrl() {
    return "http://127.0.0.1:" + fake.getAddress().getPort();
  }

  String publish(CacheServer master, String tag, String... program) {
    Node.Run r = node.publish(master, tag, program);
    assertEquals(0, r.status(), r.err());
    return r.lastLine();
  }

  static byte[] untrustedTag(String name, Digest manifest) {
    return SignedTag.sign(TagRecord.first(name, manifest, Instant.now()), Signer.of(Ed25519KeyPair.generate())).toBytes();
  }

  @Test
  void pull_whenTheFirstMastersTagIsSignedByAnUntrustedKey_takesTheNextMastersTag() throws Exception {
    String t = publish(good, "tool", "/bin/true");
    fakeTag = untrustedTag("tool", Digest.parse(t));
    Node.Run r = node.pull(fakeUrl() + "," + good.baseUrl(), cache, "tool");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("\"manifest\":\"" + t + "\""), r.out());
  }

  @Test
  void pull_whenTheFirstMastersManifestIsSignedByAnUntrustedKey_takesTheNextMastersManifest() throws Exception {
    String t = publish(good, null, "/bin/true");
    byte[] real = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(good.baseUrl() + "/v1/manifests/" + t))
        .build(), HttpResponse.BodyHandlers.ofByteArray()).body();
    fakeManifest = SignedManifest.sign(SignedManifest.storedManifest(real), Signer.of(Ed25519KeyPair.generate())).toBytes();
    Node.Run r = node.pull(fakeUrl() + "," + good.baseUrl(), cache, t);
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("\"manifest\":\"" + t + "\""), r.out());
  }

  @Test
  void pull_whenTheFirstMastersTagIsOlderThanTheCacheAccepted_takesTheNextMastersTag_andIfNoneServesOne_namesEach()
      throws Exception {
    CacheServer behind = node.master("behind");
    String one = publish(behind, "tool", "/bin/true"); // revision 1 only
    publish(good, "tool", "/bin/true");
    String two = publish(good, "tool", "/bin/echo", "hi"); // revision 2
    assertEquals(0, node.pull(good.baseUrl(), cache, "tool").status());

    Node.Run r = node.pull(behind.baseUrl() + "," + good.baseUrl(), cache, "tool");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("\"manifest\":\"" + two + "\""), r.out());

    fakeTag = untrustedTag("tool", Digest.parse(one));
    Node.Run none = node.pull(behind.baseUrl() + "," + fakeUrl(), cache, "tool");
    assertEquals(1, none.status(), none.out());
    String err = none.err().strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("pull: download of tag tool failed on every master: "), err);
    assertTrue(err.contains(behind.baseUrl() + ": tag tool revision 1 is older than revision 2"), err);
    assertTrue(err.contains(fakeUrl() + ": tag tool is not signed by a trusted key"), err);
    assertEquals(1, err.split(fakeUrl(), -1).length - 1, "each master is named once: " + err);
  }
}
