package org.closurecache.core.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class DigestTest {
  private static final String EMPTY =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String ABC =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  private static final String HEX64 = "0123456789abcdef".repeat(4);

  @Test
  void parse_whenWellFormed_roundTripsThroughToString() {
    Digest d = Digest.parse("sha256:" + HEX64);
    assertEquals(HEX64, d.hex());
    assertEquals("sha256:" + HEX64, d.toString());
    assertEquals(d, Digest.ofHex(HEX64));
    assertEquals(d, Digest.ofBytes(d.toBytes()));
    assertEquals("01", d.shard());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", // uppercase
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", // 63
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", // 65
      "sha256:", "", "sha256",
      "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "sha256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", // no prefix
      " sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ",
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
      "sha256: 123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "sha256:0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef", // g
      "sha256:０123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", // fullwidth 0
  })
  void parse_whenNotExactlyPrefixAnd64LowercaseHex_rejectsQuotingTheInput(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Digest.parse(text));
    assertTrue(e.getMessage().contains("64 lowercase hex"), e.getMessage());
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {
      "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef012345678",
      " 123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""})
  void ofHex_whenNot64LowercaseHex_rejects(String hex) {
    assertThrows(IllegalArgumentException.class, () -> Digest.ofHex(hex));
  }

  @Test
  void parse_whenNull_rejectsSayingNull() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Digest.parse(null));
    assertTrue(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void ofBytes_whenNot32Bytes_rejects() {
    assertThrows(IllegalArgumentException.class, () -> Digest.ofBytes(new byte[31]));
    assertThrows(IllegalArgumentException.class, () -> Digest.ofBytes(new byte[33]));
  }

  @Test
  void of_matchesKnownSha256Vectors() {
    assertEquals("sha256:" + EMPTY, Digest.of(new byte[0]).toString());
    assertEquals("sha256:" + ABC, Digest.of("abc".getBytes(StandardCharsets.US_ASCII)).toString());
    assertEquals(
        "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        Digest.of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            .getBytes(StandardCharsets.US_ASCII)).toString());
  }

  @Test
  void of_matchesSha256sumOfARealFile(@TempDir Path dir) throws Exception {
    File sha256sum = new File("/usr/bin/sha256sum");
    assertTrue(sha256sum.canExecute(), "sha256sum not installed");
    byte[] data = new byte[200_003];
    new Random(42).nextBytes(data);
    Path file = dir.resolve("data.bin");
    Files.write(file, data);
    Process p = new ProcessBuilder(sha256sum.getPath(), file.toString()).redirectErrorStream(true).start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    String expected = out.substring(0, 64);
    assertEquals(Digest.ofHex(expected), Digest.of(Files.readAllBytes(file)));
    try (InputStream in = Files.newInputStream(file)) {
      assertEquals(new Descriptor(Digest.ofHex(expected), data.length), DigestingInputStream.hash(in));
    }
  }

  @Test
  void compareTo_ordersByHex() {
    Digest a = Digest.ofHex("0".repeat(64));
    Digest b = Digest.ofHex("f".repeat(64));
    assertTrue(a.compareTo(b) < 0);
    assertTrue(b.compareTo(a) > 0);
    assertEquals(0, a.compareTo(Digest.ofHex("0".repeat(64))));
  }

  @Test
  void descriptor_whenNegativeSizeOrNullDigest_rejects() {
    assertThrows(IllegalArgumentException.class, () -> new Descriptor(null, 0));
    assertThrows(IllegalArgumentException.class, () -> new Descriptor(Digest.of(new byte[0]), -1));
  }

  @Test
  void digestMismatchException_namesBothDigests() {
    Digest a = Digest.of(new byte[0]);
    Digest b = Digest.of(new byte[1]);
    DigestMismatchException e = new DigestMismatchException("object x", a, b);
    assertTrue(e.getMessage().contains(a.toString()) && e.getMessage().contains(b.toString()));
    assertEquals(a, e.expected());
    assertEquals(b, e.actual());
  }
}
