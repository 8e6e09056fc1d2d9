package org.closurecache.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RefTest {
  private static final String HEX64 = "0123456789abcdef".repeat(4);

  @Test
  void parse_ofADigest_isADigestRef() {
    Ref ref = Ref.parse("sha256:" + HEX64);
    Ref.ByDigest d = assertInstanceOf(Ref.ByDigest.class, ref);
    assertEquals(Digest.ofHex(HEX64), d.digest());
    assertEquals(Optional.of(Digest.ofHex(HEX64)), ref.manifestDigest());
    assertEquals(Optional.empty(), ref.tagName());
    assertEquals("sha256:" + HEX64, ref.toString());
    assertEquals(Ref.of(Digest.ofHex(HEX64)), ref);
  }

  @Test
  void parse_ofATagName_isATagRef() {
    Ref ref = Ref.parse("python-3.11");
    assertEquals(new Ref.ByTag("python-3.11"), ref);
    assertEquals(Optional.of("python-3.11"), ref.tagName());
    assertEquals(Optional.empty(), ref.manifestDigest());
    assertEquals("python-3.11", ref.toString());
    assertEquals(Ref.tag("python-3.11"), ref);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sha256:", "sha256:abc",
      "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", // uppercase
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", // 63
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", // 65
      "sha256:0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef", // g
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ",
      "sha256: 123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  })
  void parse_whenSha256PrefixedButNotADigest_failsAsADigestNeverBecomesATag(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ref.parse(text));
    assertTrue(e.getMessage().startsWith("\"" + text.strip()), e.getMessage());
    assertTrue(e.getMessage().contains("is not a manifest digest"), e.getMessage());
    assertTrue(e.getMessage().contains("64 lowercase hex"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      ".hidden", "-x", "_x", "a/b", "a..b", "a b", " a", "a\n", "é", "a:b", "../etc",
  })
  void parse_whenNeitherADigestNorAValidTagName_failsNamingTheValueAndTheRule(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ref.parse(text));
    assertTrue(e.getMessage().startsWith("tag name \""), e.getMessage());
    assertTrue(e.getMessage().contains("1 to 128 of A-Z a-z 0-9 . _ -"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void parse_whenEmptyOrNull_fails() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Ref.parse("")).getMessage()
        .contains("got \"\""));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Ref.parse(null)).getMessage().contains("got null"));
  }

  @Test
  void parse_whenNameHoldsNul_failsShowingItEscaped() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ref.parse("a\0b"));
    assertTrue(e.getMessage().startsWith("tag name \"a\\u0000b\" is invalid"), e.getMessage());
  }

  @Test
  void parse_atTheLengthLimits_takes128AndRefuses129And256Bytes() {
    assertEquals("a".repeat(128), Ref.parse("a".repeat(128)).toString());
    assertThrows(IllegalArgumentException.class, () -> Ref.parse("a".repeat(129)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ref.parse("a".repeat(256)));
    assertTrue(e.getMessage().length() < 300, "a long value is cut in the message: " + e.getMessage());
    assertTrue(e.getMessage().contains("…"), e.getMessage());
  }

  @Test
  void records_validateWhenBuiltDirectly() {
    assertThrows(IllegalArgumentException.class, () -> new Ref.ByDigest(null));
    assertThrows(IllegalArgumentException.class, () -> new Ref.ByTag(null));
    assertThrows(IllegalArgumentException.class, () -> new Ref.ByTag("sha256:" + HEX64));
  }
}
