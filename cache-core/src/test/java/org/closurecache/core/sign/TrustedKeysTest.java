package org.closurecache.core.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

class TrustedKeysTest {
  private static final byte[] PAYLOAD = "payload".getBytes(StandardCharsets.UTF_8);

  @Test
  void verify_withTrustedKey_returnsItsId() throws Exception {
    Signature s = Fixtures.publisher().sign(Domain.MANIFEST, PAYLOAD);
    assertEquals(Fixtures.PUBLISHER.keyId(), Fixtures.trustingPublisher().verify(Domain.MANIFEST, PAYLOAD, List.of(s)));
  }

  @Test
  void verify_whenOnlyUntrustedKeySigned_failsNamingPresentAndTrustedIds() {
    Signature s = Fixtures.stranger().sign(Domain.MANIFEST, PAYLOAD);
    SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
        () -> Fixtures.trustingPublisher().verify(Domain.MANIFEST, PAYLOAD, List.of(s)));
    assertEquals(List.of(Fixtures.STRANGER.keyId()), e.presentKeyIds());
    assertEquals(List.of(Fixtures.PUBLISHER.keyId()), e.trustedKeyIds());
    assertTrue(e.getMessage().contains(Fixtures.STRANGER.keyId().toString()), e.getMessage());
    assertTrue(e.getMessage().contains(Fixtures.PUBLISHER.keyId().toString()), e.getMessage());
  }

  @Test
  void verify_withNoSignatures_fails() {
    SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
        () -> Fixtures.trustingPublisher().verify(Domain.MANIFEST, PAYLOAD, List.of()));
    assertTrue(e.getMessage().contains("no signatures"), e.getMessage());
  }

  @Test
  void verify_whenSignatureClaimsTrustedIdButIsByAnotherKey_fails() {
    byte[] forged = Fixtures.stranger().sign(Domain.MANIFEST, PAYLOAD).sig();
    Signature claimed = new Signature(Fixtures.PUBLISHER.keyId(), forged);
    assertThrows(SignatureVerificationException.class,
        () -> Fixtures.trustingPublisher().verify(Domain.MANIFEST, PAYLOAD, List.of(claimed)));
  }

  @Test
  void verify_whenOneOfSeveralSignaturesIsTrustedAndValid_passes() throws Exception {
    List<Signature> sigs = List.of(
        Fixtures.stranger().sign(Domain.MANIFEST, PAYLOAD), Fixtures.publisher().sign(Domain.MANIFEST, PAYLOAD));
    assertEquals(Fixtures.PUBLISHER.keyId(), Fixtures.trustingPublisher().verify(Domain.MANIFEST, PAYLOAD, sigs));
  }

  @Test
  void verify_whenTagSignatureIsPresentedAsManifestSignature_fails() throws Exception {
    Signature tagSig = Fixtures.publisher().sign(Domain.TAG, PAYLOAD);
    Fixtures.trustingPublisher().verify(Domain.TAG, PAYLOAD, List.of(tagSig));
    assertThrows(SignatureVerificationException.class,
        () -> Fixtures.trustingPublisher().verify(Domain.MANIFEST, PAYLOAD, List.of(tagSig)));
    Signature manifestSig = Fixtures.publisher().sign(Domain.MANIFEST, PAYLOAD);
    assertThrows(SignatureVerificationException.class,
        () -> Fixtures.trustingPublisher().verify(Domain.TAG, PAYLOAD, List.of(manifestSig)));
  }

  @Test
  void sign_coversDomainPrefixThenPayload_asPlainEd25519() {
    byte[] message = ("closure-cache manifest v1\n" + "payload").getBytes(StandardCharsets.UTF_8);
    Ed25519Signer plain = new Ed25519Signer();
    plain.init(false, Fixtures.PUBLISHER.publicKey().parameters());
    plain.update(message, 0, message.length);
    assertTrue(plain.verifySignature(Fixtures.publisher().sign(Domain.MANIFEST, PAYLOAD).sig()));
  }

  @Test
  void of_whenEmpty_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> TrustedKeys.of(List.of()));
    assertThrows(IllegalArgumentException.class, () -> TrustedKeys.load(List.of()));
  }
}
