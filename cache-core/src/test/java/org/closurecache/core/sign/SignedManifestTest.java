package org.closurecache.core.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.ManifestFormatException;
import org.junit.jupiter.api.Test;

class SignedManifestTest {
  private final Manifest manifest = Fixtures.minimalManifest();

  @Test
  void roundTrip_parseOfToBytes_verifiesToTheSameManifest() throws Exception {
    SignedManifest signed = SignedManifest.sign(manifest, Fixtures.publisher());
    byte[] bytes = signed.toBytes();
    SignedManifest parsed = SignedManifest.parse(bytes);
    assertEquals(manifest, parsed.verify(Fixtures.trustingPublisher()));
    assertArrayEquals(bytes, parsed.toBytes());
    assertArrayEquals(ManifestCodec.toCanonicalBytes(manifest), parsed.manifestBytes());
    assertEquals(ManifestCodec.digest(manifest), parsed.manifestDigest());
    assertEquals(signed.signatures(), parsed.signatures());
  }

  @Test
  void toBytes_isCanonicalJsonWithEmbeddedManifestObject() throws Exception {
    byte[] bytes = SignedManifest.sign(manifest, Fixtures.publisher()).toBytes();
    String text = new String(bytes, StandardCharsets.UTF_8);
    String manifestJson = new String(ManifestCodec.toCanonicalBytes(manifest), StandardCharsets.UTF_8);
    assertTrue(text.startsWith("{\"manifest\":" + manifestJson + ",\"signatures\":[{\"keyId\":\""
        + Fixtures.PUBLISHER.keyId() + "\",\"sig\":\""), text);
    CanonicalJson.parseCanonical(bytes, SignedManifest.MAX_BYTES, "test");
  }

  @Test
  void sign_isDeterministic_andOrdersSignaturesByKeyId() {
    byte[] a = SignedManifest.sign(manifest, Fixtures.publisher(), Fixtures.stranger()).toBytes();
    byte[] b = SignedManifest.sign(manifest, Fixtures.stranger(), Fixtures.publisher()).toBytes();
    assertArrayEquals(a, b);
  }

  @Test
  void sign_whenSameKeyTwiceOrNoSigner_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> SignedManifest.sign(manifest));
    assertThrows(IllegalArgumentException.class,
        () -> SignedManifest.sign(manifest, Fixtures.publisher(), Fixtures.publisher()));
  }

  @Test
  void verify_withUntrustedKey_fails() throws Exception {
    SignedManifest parsed = SignedManifest.parse(SignedManifest.sign(manifest, Fixtures.stranger()).toBytes());
    assertThrows(SignatureVerificationException.class, () -> parsed.verify(Fixtures.trustingPublisher()));
  }

  @Test
  void verify_whenSignedByUntrustedAndTrustedKey_passes() throws Exception {
    byte[] bytes = SignedManifest.sign(manifest, Fixtures.stranger(), Fixtures.publisher()).toBytes();
    assertEquals(manifest, SignedManifest.parse(bytes).verify(Fixtures.trustingPublisher()));
  }

  @Test
  void verify_whenSignatureIsForAnotherManifest_fails() throws Exception {
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    Signature other = SignedManifest.sign(Fixtures.manifestWithContent("y"), Fixtures.publisher()).signatures().get(0);
    root.set("signatures", Envelopes.toJson(List.of(other)));
    SignedManifest parsed = SignedManifest.parse(CanonicalJson.write(root));
    assertThrows(SignatureVerificationException.class, () -> parsed.verify(Fixtures.trustingPublisher()));
  }

  @Test
  void verify_whenTagDomainSignatureOverManifestBytes_fails() throws Exception {
    Signature tagDomain = Fixtures.publisher().sign(Domain.TAG, ManifestCodec.toCanonicalBytes(manifest));
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    root.set("signatures", Envelopes.toJson(List.of(tagDomain)));
    SignedManifest parsed = SignedManifest.parse(CanonicalJson.write(root));
    assertThrows(SignatureVerificationException.class, () -> parsed.verify(Fixtures.trustingPublisher()));
  }

  /** Every single-bit flip, anywhere in the envelope, must be refused by parse or verify. */
  @Test
  void verify_whenAnySingleBitOfEnvelopeFlipped_failsForEveryPosition() {
    byte[] good = SignedManifest.sign(manifest, Fixtures.publisher()).toBytes();
    TrustedKeys trusted = Fixtures.trustingPublisher();
    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < good.length; i++) {
      for (int mask : new int[] {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) mask;
        try {
          SignedManifest.parse(bad).verify(trusted);
          accepted.add("byte " + i + " ^ " + mask);
        } catch (JsonFormatException | SignatureVerificationException expected) {
          // refused, as it must be
        } catch (RuntimeException e) {
          fail("byte " + i + " ^ " + mask + " threw unchecked " + e, e);
        }
      }
    }
    assertEquals(List.of(), accepted, "altered envelopes were accepted");
  }

  @Test
  void parse_whenNoSignatures_isRejected() {
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    root.putArray("signatures");
    assertRejected(root, "no signatures");
  }

  @Test
  void parse_whenMoreThan16Signatures_isRejected() {
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    ArrayNode sigs = root.putArray("signatures");
    for (int i = 0; i < 17; i++) {
      sigs.addObject().put("keyId", String.format("%016x", i)).put("sig", Base64.getEncoder().encodeToString(new byte[64]));
    }
    assertRejected(root, "limit of 16");
  }

  @Test
  void parse_whenUnknownFieldInEnvelopeOrSignature_isRejected() {
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    root.put("comment", "hi");
    assertRejected(root, "unknown field \"comment\"");
    ObjectNode root2 = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    ((ObjectNode) root2.get("signatures").get(0)).put("alg", "ed25519");
    assertRejected(root2, "unknown field \"alg\"");
  }

  @Test
  void parse_whenSignatureBase64IsMalformedOrWrongLengthOrNotCanonical_isRejected() {
    assertSigRejected("not base64!", "not standard base64");
    assertSigRejected(Base64.getEncoder().encodeToString(new byte[63]), "decodes to 63 bytes");
    assertSigRejected(Base64.getEncoder().withoutPadding().encodeToString(new byte[64]), "canonical");
    String canonical = Base64.getEncoder().encodeToString(new byte[64]);
    // 64 bytes end in one byte, "AA==": the second 'A' carries 4 unused bits, so 'B' decodes the same.
    assertSigRejected(canonical.substring(0, canonical.length() - 3) + "B==", "canonical");
  }

  @Test
  void parse_whenKeyIdMalformedOrRepeated_isRejected() {
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    ((ObjectNode) root.get("signatures").get(0)).put("keyId", "ABCDEF0123456789");
    assertRejected(root, "keyId");
    SignedManifest signed = SignedManifest.sign(manifest, Fixtures.publisher());
    ObjectNode twice = envelope(signed);
    twice.set("signatures", Envelopes.toJson(List.of(signed.signatures().get(0), signed.signatures().get(0))));
    assertRejected(twice, "repeats key id");
  }

  @Test
  void parse_whenEmbeddedManifestInvalid_isRejectedAsManifestFormat() {
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    ((ObjectNode) root.get("manifest")).put("extra", 1);
    assertThrows(ManifestFormatException.class, () -> SignedManifest.parse(CanonicalJson.write(root)));
  }

  @Test
  void parse_whenEnvelopeNotCanonical_isRejected() {
    String text = new String(SignedManifest.sign(manifest, Fixtures.publisher()).toBytes(), StandardCharsets.UTF_8);
    byte[] spaced = text.replaceFirst("\\{", "{ ").getBytes(StandardCharsets.UTF_8);
    assertThrows(JsonFormatException.class, () -> SignedManifest.parse(spaced));
  }

  @Test
  void manifestDigest_isSha256OfCanonicalManifestBytes() {
    SignedManifest signed = SignedManifest.sign(manifest, Fixtures.publisher());
    assertEquals(Digest.of(ManifestCodec.toCanonicalBytes(manifest)), signed.manifestDigest());
  }

  private static ObjectNode envelope(SignedManifest signed) {
    try {
      return (ObjectNode) CanonicalJson.parse(signed.toBytes(), SignedManifest.MAX_BYTES, "test");
    } catch (JsonFormatException e) {
      throw new AssertionError(e);
    }
  }

  private void assertSigRejected(String sig, String messagePart) {
    ObjectNode root = envelope(SignedManifest.sign(manifest, Fixtures.publisher()));
    ((ObjectNode) root.get("signatures").get(0)).put("sig", sig);
    assertRejected(root, messagePart);
  }

  private static void assertRejected(ObjectNode root, String messagePart) {
    JsonFormatException e = assertThrows(JsonFormatException.class, () -> SignedManifest.parse(CanonicalJson.write(root)));
    assertInstanceOf(EnvelopeFormatException.class, e);
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
  }
}
