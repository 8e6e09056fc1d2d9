package org.closurecache.core.sign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {
  @TempDir Path dir;

  @Test
  void writeKeyPair_thenRead_givesTheSameKeys() throws Exception {
    Path prefix = dir.resolve("master");
    KeyId id = KeyFiles.writeKeyPair(prefix, false);
    Ed25519KeyPair pair = KeyFiles.readPrivateKey(dir.resolve("master.key"));
    PublicKey pub = KeyFiles.readPublicKey(dir.resolve("master.pub"));
    assertEquals(id, pair.keyId());
    assertEquals(pair.publicKey(), pub);
    Signature s = Signer.load(dir.resolve("master.key")).sign(Domain.MANIFEST, new byte[] {1});
    TrustedKeys.load(List.of(dir.resolve("master.pub"))).verify(Domain.MANIFEST, new byte[] {1}, List.of(s));
  }

  @Test
  void writeKeyPair_writesDocumentedPemAndDer() throws Exception {
    Ed25519KeyPair pair = Ed25519KeyPair.generate();
    KeyFiles.writeKeyPair(dir.resolve("k"), pair, false);
    String priv = Files.readString(dir.resolve("k.key"));
    String pub = Files.readString(dir.resolve("k.pub"));
    assertTrue(priv.startsWith("-----BEGIN PRIVATE KEY-----\n") && priv.endsWith("-----END PRIVATE KEY-----\n"), priv);
    assertTrue(pub.startsWith("-----BEGIN PUBLIC KEY-----\n") && pub.endsWith("-----END PUBLIC KEY-----\n"), pub);
    byte[] privDer = Base64.getDecoder().decode(priv.split("\n")[1]);
    byte[] pubDer = Base64.getDecoder().decode(pub.split("\n")[1]);
    assertEquals("302e020100300506032b657004220420" + HexFormat.of().formatHex(pair.seed()), HexFormat.of().formatHex(privDer));
    assertEquals("302a300506032b6570032100" + HexFormat.of().formatHex(pair.publicKey().raw()), HexFormat.of().formatHex(pubDer));
  }

  @Test
  void writeKeyPair_setsMode0600OnPrivateAnd0644OnPublic_andLeavesNoTempFiles() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("k"), false);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("k.key"))));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("k.pub"))));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("k.key", "k.pub"), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void writeKeyPair_whenKeyExists_refusesAndKeepsIt_unlessOverwrite() throws Exception {
    Path prefix = dir.resolve("k");
    KeyId first = KeyFiles.writeKeyPair(prefix, false);
    byte[] before = Files.readAllBytes(dir.resolve("k.key"));
    assertThrows(FileAlreadyExistsException.class, () -> KeyFiles.writeKeyPair(prefix, false));
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("k.key")));
    KeyId second = KeyFiles.writeKeyPair(prefix, true);
    assertNotEquals(first, second);
    assertEquals(second, KeyFiles.readPrivateKey(dir.resolve("k.key")).keyId());
    assertEquals(second, KeyFiles.readPublicKey(dir.resolve("k.pub")).keyId());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("k.key"))));
  }

  @Test
  void writeKeyPair_whenOnlyPublicExists_writesNeitherFile() throws Exception {
    Files.writeString(dir.resolve("k.pub"), "someone else's key\n");
    assertThrows(FileAlreadyExistsException.class, () -> KeyFiles.writeKeyPair(dir.resolve("k"), false));
    assertFalse(Files.exists(dir.resolve("k.key")));
  }

  @Test
  void readPrivateKey_whenGroupOrOtherReadable_isRefusedWithChmodAdvice() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("k"), false);
    Path key = dir.resolve("k.key");
    for (String mode : new String[] {"rw-r-----", "rw----r--", "rw-rw-rw-"}) {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(mode));
      KeyFormatException e = assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(key));
      assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
      assertEquals(key, e.file());
    }
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
    KeyFiles.readPrivateKey(key);
  }

  @Test
  void read_whenGarbage_isKeyFormatExceptionNamingFile() throws Exception {
    Path garbage = privateFile("garbage", "hello, I am not a key\n");
    KeyFormatException e = assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(garbage));
    assertTrue(e.getMessage().startsWith(garbage.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a PEM file"), e.getMessage());
    Path badBase64 = privateFile("b64", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n");
    assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(badBase64));
  }

  @Test
  void read_whenWrongAlgorithmOid_isKeyFormatException() throws Exception {
    // Same PKCS#8 shape with OID 1.3.101.110 (X25519) instead of 1.3.101.112 (Ed25519).
    byte[] der = HexFormat.of().parseHex("302e020100300506032b656e04220420" + "11".repeat(32));
    Path x25519 = privateFile("x25519", pem("PRIVATE KEY", der));
    KeyFormatException e = assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(x25519));
    assertTrue(e.getMessage().contains("not Ed25519"), e.getMessage());
    byte[] pubDer = HexFormat.of().parseHex("302a300506032b656e032100" + "11".repeat(32));
    Path x25519pub = privateFile("x25519pub", pem("PUBLIC KEY", pubDer));
    assertTrue(assertThrows(KeyFormatException.class, () -> KeyFiles.readPublicKey(x25519pub))
        .getMessage().contains("not Ed25519"));
  }

  @Test
  void read_whenTruncated_isKeyFormatException() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("k"), false);
    String pem = Files.readString(dir.resolve("k.key"));
    String[] lines = pem.split("\n");
    Path noEnd = privateFile("noend", lines[0] + "\n" + lines[1] + "\n");
    assertTrue(assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(noEnd)).getMessage().contains("truncated"));
    Path shortBody = privateFile("short", lines[0] + "\n" + lines[1].substring(0, lines[1].length() - 4) + "\n" + lines[2] + "\n");
    assertTrue(assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(shortBody)).getMessage().contains("truncated"));
    Path empty = privateFile("empty", "");
    assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(empty));
  }

  @Test
  void read_whenLabelsSwappedOrEncrypted_explainsExpectedLabel() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("k"), false);
    KeyFormatException e = assertThrows(KeyFormatException.class, () -> KeyFiles.readPublicKey(dir.resolve("k.key")));
    assertTrue(e.getMessage().contains("expected \"-----BEGIN PUBLIC KEY-----\""), e.getMessage());
    Path enc = privateFile("enc", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    assertTrue(assertThrows(KeyFormatException.class, () -> KeyFiles.readPrivateKey(enc)).getMessage().contains("encrypted"));
  }

  @Test
  void readPublicKey_acceptsCrlfAndExplanatoryText() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("k"), false);
    String pub = Files.readString(dir.resolve("k.pub"));
    Path crlf = dir.resolve("crlf.pub");
    Files.writeString(crlf, "master key, 2026\r\n" + pub.replace("\n", "\r\n"));
    assertEquals(KeyFiles.readPublicKey(dir.resolve("k.pub")), KeyFiles.readPublicKey(crlf));
  }

  private Path privateFile(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    return p;
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getEncoder().encodeToString(der) + "\n-----END " + label + "-----\n";
  }
}
