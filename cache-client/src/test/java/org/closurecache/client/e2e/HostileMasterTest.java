package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.Signer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A master that lies: it serves manifests that are tampered with, unsigned, or that name hostile
 * paths (signed by the trusted key, so only the node's own checks stand in the way). The node must
 * refuse each and write nothing.
 */
class HostileMasterTest {
  @TempDir Path dir;
  Node node;
  HttpServer fake;
  volatile byte[] served;

  @BeforeEach
  void start() throws Exception {
    node = new Node(dir);
    fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    fake.createContext("/", exchange -> {
      byte[] body = served;
      exchange.sendResponseHeaders(200, body.length);
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

  String url() {
    return "http://127.0.0.1:" + fake.getAddress().getPort();
  }

  static Manifest oneFile(String path) {
    byte[] content = "x".getBytes();
    Digest d = Digest.of(content);
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put(path, FileEntry.of(d, 1, 0755, 0, Reason.ENTRY));
    return new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint(path, d), Optional.empty(),
        List.of(), files, new TreeMap<>(), new Launch(List.of(path), new TreeMap<>(), "/"));
  }

  void assertRefusedAndNothingStored(Digest asked, String why) throws Exception {
    Path cache = dir.resolve("cache");
    Node.Run r = node.pull(url(), cache, asked.toString());
    assertEquals(1, r.status(), r.out());
    assertTrue(r.err().contains(why), r.err());
    Node.Run ls = Node.cli("ls", "--json", "--cache", cache.toString());
    assertEquals("[]", ls.out().strip(), ls.err());
    try (var objects = Files.walk(cache.resolve("objects"))) {
      assertEquals(0, objects.filter(Files::isRegularFile).count());
    }
  }

  @Test
  void tamperedManifest_isRefused() throws Exception {
    SignedManifest good = SignedManifest.sign(oneFile("/bin/x"), Signer.load(node.key));
    byte[] bytes = good.toBytes();
    String text = new String(bytes, StandardCharsets.UTF_8).replace("/bin/x", "/bin/y");
    served = text.getBytes(StandardCharsets.UTF_8);
    assertRefusedAndNothingStored(good.manifestDigest(), "manifest");
  }

  @Test
  void unsignedManifest_isRefused() throws Exception {
    Manifest m = oneFile("/bin/x");
    ObjectNode envelope = CanonicalJson.object();
    envelope.set("manifest", ManifestCodec.toJson(m));
    envelope.putArray("signatures");
    served = CanonicalJson.write(envelope);
    assertRefusedAndNothingStored(ManifestCodec.digest(m), "manifest");
  }

  @Test
  void signedManifestWithHostilePaths_isRefused() throws Exception {
    Manifest m = oneFile("/bin/x");
    ObjectNode json = ManifestCodec.toJson(m);
    ObjectNode files = (ObjectNode) json.get("files");
    files.set("/bin/../../etc/cron.d/evil", files.remove("/bin/x"));
    ((ObjectNode) json.get("entry")).put("path", "/bin/../../etc/cron.d/evil");
    byte[] canonical = CanonicalJson.write(json);
    Signer signer = Signer.load(node.key);
    ObjectNode envelope = CanonicalJson.object();
    envelope.set("manifest", json);
    var sig = signer.sign(org.closurecache.core.sign.Domain.MANIFEST, canonical);
    var sigs = envelope.putArray("signatures").addObject();
    sigs.put("keyId", sig.keyId().toString());
    sigs.put("sig", java.util.Base64.getEncoder().encodeToString(sig.sig()));
    served = CanonicalJson.write(envelope);
    assertRefusedAndNothingStored(Digest.of(canonical), "not normalised");
  }
}
