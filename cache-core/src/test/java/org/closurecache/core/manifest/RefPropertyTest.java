package org.closurecache.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.closurecache.core.digest.Digest;

class RefPropertyTest {

  @Provide
  Arbitrary<Ref> refs() {
    Arbitrary<Ref> digests = Arbitraries.bytes().array(byte[].class).ofSize(32).map(b -> Ref.of(Digest.ofBytes(b)));
    Arbitrary<String> first = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
        .withCharRange('0', '9').ofLength(1);
    Arbitrary<String> rest = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
        .withCharRange('0', '9').withChars('.', '_', '-').ofMaxLength(127);
    Arbitrary<Ref> tags = Combinators.combine(first, rest).as(String::concat)
        .filter(name -> !name.contains("..")).map(Ref::tag);
    return Arbitraries.oneOf(digests, tags);
  }

  @Property(tries = 500)
  void parse_ofToString_givesBackAnEqualRef(@ForAll("refs") Ref ref) {
    Ref back = Ref.parse(ref.toString());
    assertEquals(ref, back);
    assertEquals(ref.toString(), back.toString());
  }

  @Property(tries = 300)
  void parse_ofAnySha256PrefixedText_isADigestOrFails_neverATag(@ForAll String tail) {
    String text = "sha256:" + tail;
    try {
      assertInstanceOf(Ref.ByDigest.class, Ref.parse(text));
    } catch (IllegalArgumentException e) {
      assertThrows(IllegalArgumentException.class, () -> Digest.parse(text));
    }
  }

  @Property(tries = 300)
  void parse_ofAnyText_agreesWithTheTagNameRule(@ForAll String text) {
    if (text.startsWith("sha256:")) {
      return;
    }
    boolean valid = Ref.ByTag.isValidName(text);
    try {
      Ref ref = Ref.parse(text);
      assertEquals(true, valid, text);
      assertEquals(text, ref.toString());
    } catch (IllegalArgumentException e) {
      assertEquals(false, valid, text);
    }
  }
}
