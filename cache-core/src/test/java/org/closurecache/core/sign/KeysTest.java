package org.closurecache.core.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;

class KeysTest {
  @Test
  void keyId_isFirstEightBytesOfSha256OfRawKey_asLowerHex() {
    PublicKey key = Fixtures.PUBLISHER.publicKey();
    String expected = Digest.of(key.raw()).hex().substring(0, 16);
    assertEquals(expected, key.keyId().toString());
    assertEquals(key.keyId(), KeyId.parse(expected));
  }

  @Test
  void keyIdParse_whenUppercaseWrongLengthOrNonHex_isRejected() {
    for (String bad : new String[] {"0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg", "", "sha256:0123456789ab"}) {
      assertThrows(IllegalArgumentException.class, () -> KeyId.parse(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> KeyId.parse(null));
  }

  @Test
  void publicKey_equalsByContent_andCopiesArraysInAndOut() {
    byte[] raw = Fixtures.PUBLISHER.publicKey().raw();
    PublicKey a = PublicKey.of(raw);
    PublicKey b = PublicKey.of(raw.clone());
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    raw[0] ^= 1;
    assertArrayEquals(b.raw(), a.raw());
    a.raw()[0] ^= 1;
    assertEquals(a, b);
    assertNotEquals(a, Fixtures.STRANGER.publicKey());
  }

  @Test
  void publicKey_whenKeyIdDoesNotMatchBytes_isRejected() {
    byte[] raw = Fixtures.PUBLISHER.publicKey().raw();
    assertThrows(IllegalArgumentException.class, () -> new PublicKey(raw, Fixtures.STRANGER.keyId()));
  }

  @Test
  void publicKey_whenWrongLengthOrNotACurvePoint_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> PublicKey.of(new byte[31]));
    // y = 2 has no matching x on edwards25519, so these bytes decode to no point.
    byte[] notAPoint = new byte[32];
    notAPoint[0] = 2;
    assertThrows(IllegalArgumentException.class, () -> PublicKey.of(notAPoint));
  }

  @Test
  void keyPair_fromSeed_isDeterministic_andMatchesRfc8032TestVector1() {
    // RFC 8032 section 7.1, TEST 1.
    byte[] seed = HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    Ed25519KeyPair pair = Ed25519KeyPair.fromSeed(seed);
    assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        HexFormat.of().formatHex(pair.publicKey().raw()));
    byte[] sig = Signer.of(pair).sign(Domain.MANIFEST, new byte[0]).sig();
    assertEquals(Signature.LENGTH, sig.length);
    assertArrayEquals(sig, Signer.of(Ed25519KeyPair.fromSeed(seed)).sign(Domain.MANIFEST, new byte[0]).sig());
  }

  @Test
  void keyPair_toString_doesNotRevealSeed() {
    String seedHex = HexFormat.of().formatHex(Fixtures.PUBLISHER.seed());
    assertFalse(Fixtures.PUBLISHER.toString().contains(seedHex));
    assertTrue(Fixtures.PUBLISHER.toString().contains(Fixtures.PUBLISHER.keyId().toString()));
  }

  @Test
  void signature_whenNot64Bytes_isRejected_andCopiesArrays() {
    KeyId id = Fixtures.PUBLISHER.keyId();
    assertThrows(IllegalArgumentException.class, () -> new Signature(id, new byte[63]));
    byte[] bytes = new byte[64];
    Signature s = new Signature(id, bytes);
    bytes[0] = 1;
    assertEquals(0, s.sig()[0]);
    assertEquals(s, new Signature(id, new byte[64]));
    assertFalse(Arrays.equals(bytes, s.sig()));
  }
}
