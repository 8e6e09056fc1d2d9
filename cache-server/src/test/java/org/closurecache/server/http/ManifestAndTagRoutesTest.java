package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.Signer;
import org.closurecache.core.sign.TagRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifest and tag routes: what the master accepts, and everything it must refuse. */
class ManifestAndTagRoutesTest {
  @TempDir Path dir;
  ServerFixture f;
  byte[] content = "#!/bin/true\n".getBytes();
  Manifest manifest;
  SignedManifest signed;
  Path envelope;

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir, Map.of());
    manifest = ServerFixture.manifestOf(content);
    signed = SignedManifest.sign(manifest, f.signer);
    envelope = dir.resolve("envelope.json");
    Files.write(envelope, signed.toBytes());
  }

  @AfterEach
  void stop() {
    f.close();
  }

  ServerFixture.Curl putFile(String route, Path body) throws Exception {
    return f.curl("-X", "PUT", "-H", "Authorization: Bearer " + ServerFixture.WRITE_TOKEN,
        "--data-binary", "@" + body, f.url + route);
  }

  void uploadObject() throws Exception {
    Path obj = dir.resolve("obj");
    Files.write(obj, content);
    assertEquals(201, putFile("/v1/objects/" + Digest.of(content), obj).status());
  }

  @Test
  void putManifest_beforeItsObjects_isRefusedListingThem_thenAcceptedAfter() throws Exception {
    String route = "/v1/manifests/" + signed.manifestDigest();
    ServerFixture.Curl early = putFile(route, envelope);
    assertEquals(409, early.status());
    assertTrue(early.text().contains("\"missing\":[\"" + Digest.of(content) + "\"]"), early.text());
    assertEquals(404, f.curl(f.url + route).status());

    uploadObject();
    assertEquals(201, putFile(route, envelope).status());
    assertEquals(200, putFile(route, envelope).status());
    ServerFixture.Curl got = f.curl(f.url + route);
    assertEquals(200, got.status());
    assertArrayEquals(signed.toBytes(), got.body());
    assertTrue(got.headers().contains("immutable"), got.headers());
  }

  @Test
  void putManifest_underAnotherDigest_isRefused() throws Exception {
    uploadObject();
    Digest wrong = Digest.of(new byte[] {9});
    ServerFixture.Curl r = putFile("/v1/manifests/" + wrong, envelope);
    assertEquals(400, r.status());
    assertTrue(r.text().contains("digest-mismatch"), r.text());
  }

  @Test
  void putManifest_signedByAnUntrustedKey_isRefusedNamingTheKeysAndHowToTrustOne() throws Exception {
    uploadObject();
    Ed25519KeyPair strangerKey = Ed25519KeyPair.generate();
    SignedManifest stranger = SignedManifest.sign(manifest, Signer.of(strangerKey));
    Path body = dir.resolve("stranger.json");
    Files.write(body, stranger.toBytes());
    ServerFixture.Curl r = putFile("/v1/manifests/" + stranger.manifestDigest(), body);
    assertEquals(403, r.status());
    String strangerId = strangerKey.publicKey().keyId().toString();
    String trustedId = f.publisher.publicKey().keyId().toString();
    assertTrue(r.text().contains("\"error\":\"untrusted-key\""), r.text());
    assertTrue(r.text().contains("\"keyIds\":[\"" + strangerId + "\"]"), r.text());
    assertTrue(r.text().contains("\"trusted\":[\"" + trustedId + "\"]"), r.text());
    String message = r.text();
    assertTrue(message.contains("signed by key id " + strangerId + ", which this master does not trust"), message);
    assertTrue(message.contains("it trusts publisher key id " + trustedId), message);
    assertTrue(message.contains("--publisher-key"), message);
    assertTrue(!message.contains("token") && !message.contains("role"), "no word of credentials: " + message);
  }

  @Test
  void putManifest_whoseTrustedSignatureIsForged_isAnUntrustedSignature() throws Exception {
    uploadObject();
    // the trusted key's id on a signature it did not make
    SignedManifest forged = SignedManifest.sign(manifest, Signer.of(Ed25519KeyPair.generate()));
    byte[] bytes = new String(forged.toBytes(), java.nio.charset.StandardCharsets.UTF_8)
        .replace(forged.signatures().get(0).keyId().toString(), f.publisher.publicKey().keyId().toString())
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Path body = dir.resolve("forged.json");
    Files.write(body, bytes);
    ServerFixture.Curl r = putFile("/v1/manifests/" + forged.manifestDigest(), body);
    assertEquals(403, r.status(), r.text());
    assertTrue(r.text().contains("\"error\":\"untrusted-signature\""), r.text());
  }

  @Test
  void putManifest_withAnyByteFlipped_isNeverStored() throws Exception {
    uploadObject();
    byte[] good = signed.toBytes();
    for (int i = 0; i < good.length; i += 7) {
      byte[] bad = good.clone();
      bad[i] ^= 0x01;
      Path body = dir.resolve("bad.json");
      Files.write(body, bad);
      int status = putFile("/v1/manifests/" + signed.manifestDigest(), body).status();
      assertTrue(status == 400 || status == 403, "byte " + i + " flipped was answered " + status);
    }
    assertEquals(404, f.curl(f.url + "/v1/manifests/" + signed.manifestDigest()).status());
  }

  @Test
  void putManifest_thatIsNotJson_isABadRequest() throws Exception {
    Path body = dir.resolve("junk");
    Files.writeString(body, "not json at all");
    ServerFixture.Curl r = putFile("/v1/manifests/" + signed.manifestDigest(), body);
    assertEquals(400, r.status());
    assertTrue(r.text().contains("bad-manifest"), r.text());
  }

  Path tag(TagRecord record, Signer signer) throws Exception {
    Path body = dir.resolve("tag-" + record.revision() + ".json");
    Files.write(body, SignedTag.sign(record, signer).toBytes());
    return body;
  }

  @Test
  void tags_onlyMoveForward() throws Exception {
    uploadObject();
    putFile("/v1/manifests/" + signed.manifestDigest(), envelope);
    TagRecord first = TagRecord.first("python", signed.manifestDigest(), Instant.parse("2026-11-25T12:00:00Z"));
    TagRecord second = first.next(signed.manifestDigest(), Instant.parse("2026-11-25T13:00:00Z"));

    assertEquals(201, putFile("/v1/tags/python", tag(first, f.signer)).status());
    assertEquals(200, putFile("/v1/tags/python", tag(second, f.signer)).status());
    ServerFixture.Curl again = putFile("/v1/tags/python", tag(second, f.signer));
    assertEquals(409, again.status());
    assertTrue(again.text().contains("\"current\":2"), again.text());
    assertEquals(409, putFile("/v1/tags/python", tag(first, f.signer)).status());

    ServerFixture.Curl current = f.curl(f.url + "/v1/tags/python");
    assertEquals(200, current.status());
    assertArrayEquals(SignedTag.sign(second, f.signer).toBytes(), current.body());
    assertTrue(current.headers().toLowerCase().contains("cache-control: no-cache"), current.headers());
  }

  @Test
  void tags_refuseOtherNamesStrangersAndUnknownManifests() throws Exception {
    uploadObject();
    TagRecord record = TagRecord.first("python", signed.manifestDigest(), Instant.parse("2026-11-25T12:00:00Z"));
    assertEquals(409, putFile("/v1/tags/python", tag(record, f.signer)).status());
    putFile("/v1/manifests/" + signed.manifestDigest(), envelope);
    assertEquals(400, putFile("/v1/tags/perl", tag(record, f.signer)).status());
    assertEquals(403, putFile("/v1/tags/python", tag(record, Signer.of(Ed25519KeyPair.generate()))).status());
    assertEquals(400, f.curl("--path-as-is", "-X", "PUT", "-H", "Authorization: Bearer " + ServerFixture.WRITE_TOKEN,
        "--data-binary", "@" + tag(record, f.signer), f.url + "/v1/tags/.hidden").status());
    assertEquals(404, f.curl(f.url + "/v1/tags/python").status());
  }

  @Test
  void readsCanBeClosed() throws Exception {
    f.close();
    f = new ServerFixture(dir.resolve("closed"), Map.of("reads-open", "false"));
    String url = f.url + "/v1/objects/" + Digest.of(content);
    assertEquals(401, f.curl(url).status());
    assertEquals(404, f.curl("-H", "Authorization: Bearer " + ServerFixture.READ_TOKEN, url).status());
  }
}
