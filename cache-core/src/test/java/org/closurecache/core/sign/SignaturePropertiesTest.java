package org.closurecache.core.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class SignaturePropertiesTest {
  private static final TrustedKeys TRUSTED = Fixtures.trustingPublisher();

  @Property(tries = 300)
  void signThenVerify_succeeds(@ForAll @Size(max = 2048) byte[] payload) throws Exception {
    Signature s = Fixtures.publisher().sign(Domain.MANIFEST, payload);
    assertEquals(Fixtures.PUBLISHER.keyId(), TRUSTED.verify(Domain.MANIFEST, payload, List.of(s)));
  }

  @Property(tries = 500)
  void anySingleBitFlipInPayloadOrSignature_failsVerification(@ForAll("flips") Flip flip) {
    Signature s = Fixtures.publisher().sign(Domain.MANIFEST, flip.payload());
    byte[] payload = flip.payload().clone();
    byte[] sig = s.sig();
    int bit = flip.bit();
    // Bit positions first cover the payload, then the 512 bits of the signature.
    if (bit < payload.length * 8) {
      payload[bit / 8] ^= (byte) (1 << (bit % 8));
    } else {
      bit -= payload.length * 8;
      sig[bit / 8] ^= (byte) (1 << (bit % 8));
    }
    Signature altered = new Signature(s.keyId(), sig);
    assertThrows(SignatureVerificationException.class, () -> TRUSTED.verify(Domain.MANIFEST, payload, List.of(altered)));
  }

  @Provide
  Arbitrary<Flip> flips() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(512).flatMap(payload ->
        Combinators.combine(Arbitraries.just(payload), Arbitraries.integers().between(0, payload.length * 8 + 511))
            .as(Flip::new));
  }

  record Flip(byte[] payload, int bit) {}
}
