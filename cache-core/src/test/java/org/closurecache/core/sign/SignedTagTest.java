package org.closurecache.core.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;
import org.junit.jupiter.api.Test;

class SignedTagTest {
  private static final Digest MANIFEST = Digest.of(new byte[] {1, 2, 3});
  private static final Instant AT = Instant.parse("2026-11-25T14:03:17Z");
  private final TagRecord tag = new TagRecord("python-3.11", MANIFEST, 7, AT);

  @Test
  void tagRecord_canonicalBytes_haveTheDocumentedForm() {
    assertEquals("{\"issuedAt\":\"2026-11-25T14:03:17Z\",\"manifest\":\"" + MANIFEST + "\",\"name\":\"python-3.11\",\"revision\":7}",
        new String(tag.toCanonicalBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void roundTrip_parseOfToBytes_verifiesToTheSameTag() throws Exception {
    byte[] bytes = SignedTag.sign(tag, Fixtures.publisher()).toBytes();
    assertTrue(new String(bytes, StandardCharsets.UTF_8).startsWith("{\"signatures\":[{\"keyId\":"));
    SignedTag parsed = SignedTag.parse(bytes);
    assertEquals(tag, parsed.verify(Fixtures.trustingPublisher()));
    assertArrayEquals(bytes, parsed.toBytes());
  }

  @Test
  void verify_withUntrustedKey_fails() throws Exception {
    SignedTag parsed = SignedTag.parse(SignedTag.sign(tag, Fixtures.stranger()).toBytes());
    assertThrows(SignatureVerificationException.class, () -> parsed.verify(Fixtures.trustingPublisher()));
  }

  @Test
  void verify_whenManifestDomainSignatureOverTagBytes_fails() throws Exception {
    Signature wrongDomain = Fixtures.publisher().sign(Domain.MANIFEST, tag.toCanonicalBytes());
    ObjectNode root = (ObjectNode) CanonicalJson.parse(SignedTag.sign(tag, Fixtures.publisher()).toBytes(), 1 << 16, "t");
    root.set("signatures", Envelopes.toJson(List.of(wrongDomain)));
    SignedTag parsed = SignedTag.parse(CanonicalJson.write(root));
    assertThrows(SignatureVerificationException.class, () -> parsed.verify(Fixtures.trustingPublisher()));
  }

  @Test
  void verify_whenAnySingleBitOfEnvelopeFlipped_failsForEveryPosition() {
    byte[] good = SignedTag.sign(tag, Fixtures.publisher()).toBytes();
    List<String> accepted = new ArrayList<>();
    for (int i = 0; i < good.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) (1 << bit);
        try {
          SignedTag.parse(bad).verify(Fixtures.trustingPublisher());
          accepted.add("byte " + i + " bit " + bit);
        } catch (JsonFormatException | SignatureVerificationException expected) {
          // refused, as it must be
        } catch (RuntimeException e) {
          fail("byte " + i + " bit " + bit + " threw unchecked " + e, e);
        }
      }
    }
    assertEquals(List.of(), accepted);
  }

  @Test
  void requireNewerThan_whenRevisionNotGreater_refusesRollback() {
    TagRollbackException e = assertThrows(TagRollbackException.class, () -> tag.requireNewerThan(7));
    assertEquals(7, e.offeredRevision());
    assertEquals(7, e.seenRevision());
    assertEquals("python-3.11", e.tag());
    assertThrows(TagRollbackException.class, () -> tag.requireNewerThan(8));
    assertDoesNotThrow(() -> tag.requireNewerThan(6));
    assertDoesNotThrow(() -> tag.requireNewerThan(0));
  }

  @Test
  void next_incrementsRevision() throws Exception {
    TagRecord first = TagRecord.first("t", MANIFEST, AT);
    assertEquals(1, first.revision());
    TagRecord second = first.next(MANIFEST, AT.plusSeconds(1));
    assertEquals(2, second.revision());
    second.requireNewerThan(first.revision());
  }

  @Test
  void tagName_validation() {
    for (String good : new String[] {"a", "Z9", "python-3.11", "x_y.z", "a".repeat(128)}) {
      assertTrue(TagRecord.isValidName(good), good);
    }
    for (String bad : new String[] {"", ".hidden", "-x", "_x", "a/b", "a..b", "a b", "a".repeat(129), "é", "a\0"}) {
      assertFalse(TagRecord.isValidName(bad), bad);
      assertThrows(IllegalArgumentException.class, () -> new TagRecord(bad, MANIFEST, 1, AT));
    }
  }

  @Test
  void tagRecord_whenRevisionBelowOne_isRejected_andSubSecondTimeIsDropped() {
    assertThrows(IllegalArgumentException.class, () -> new TagRecord("t", MANIFEST, 0, AT));
    assertEquals(AT, new TagRecord("t", MANIFEST, 1, AT.plusMillis(999)).issuedAt());
  }

  @Test
  void parse_whenIssuedAtNotWholeSecondUtc_isRejected() {
    for (String bad : new String[] {"2026-11-25T14:03:17.5Z", "2026-11-25T14:03:17+01:00", "2026-13-25T14:03:17Z", "yesterday"}) {
      assertThrows(EnvelopeFormatException.class, () -> SignedTag.parse(withTagField("issuedAt", bad)), bad);
    }
  }

  @Test
  void parse_whenTagHasUnknownFieldOrBadRevision_isRejected() throws Exception {
    ObjectNode root = (ObjectNode) CanonicalJson.parse(SignedTag.sign(tag, Fixtures.publisher()).toBytes(), 1 << 16, "t");
    ((ObjectNode) root.get("tag")).put("note", "x");
    assertThrows(EnvelopeFormatException.class, () -> SignedTag.parse(CanonicalJson.write(root)));
    ObjectNode root2 = (ObjectNode) CanonicalJson.parse(SignedTag.sign(tag, Fixtures.publisher()).toBytes(), 1 << 16, "t");
    ((ObjectNode) root2.get("tag")).put("revision", 0);
    assertThrows(EnvelopeFormatException.class, () -> SignedTag.parse(CanonicalJson.write(root2)));
    ((ObjectNode) root2.get("tag")).put("revision", "7");
    assertThrows(EnvelopeFormatException.class, () -> SignedTag.parse(CanonicalJson.write(root2)));
  }

  private byte[] withTagField(String field, String value) throws JsonFormatException {
    ObjectNode root = (ObjectNode) CanonicalJson.parse(SignedTag.sign(tag, Fixtures.publisher()).toBytes(), 1 << 16, "t");
    ((ObjectNode) root.get("tag")).put(field, value);
    return CanonicalJson.write(root);
  }
}
