package org.closurecache.core.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our key files and signatures against the openssl command line tool; skipped when it is absent. */
class OpensslInteropTest {
  @TempDir Path dir;

  @BeforeAll
  static void requireOpenssl() {
    boolean available;
    try {
      available = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      available = false;
    }
    assertTrue(available, "openssl is not installed");
  }

  @Test
  void opensslAcceptsOurKeyFiles_andDerivesTheSamePublicKeyFile() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("ours"), false);
    run("openssl", "pkey", "-in", file("ours.key"), "-noout");
    run("openssl", "pkey", "-pubin", "-in", file("ours.pub"), "-noout");
    String derived = run("openssl", "pkey", "-in", file("ours.key"), "-pubout");
    assertEquals(Files.readString(dir.resolve("ours.pub")), derived);
  }

  @Test
  void weReadOpensslKeys_andDeriveTheSamePublicKey() throws Exception {
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", file("theirs.key"));
    Files.setPosixFilePermissions(dir.resolve("theirs.key"), PosixFilePermissions.fromString("rw-------"));
    Files.writeString(dir.resolve("theirs.pub"), run("openssl", "pkey", "-in", file("theirs.key"), "-pubout"));
    Ed25519KeyPair pair = KeyFiles.readPrivateKey(dir.resolve("theirs.key"));
    assertEquals(KeyFiles.readPublicKey(dir.resolve("theirs.pub")), pair.publicKey());
  }

  @Test
  void opensslVerifiesOurSignature_overDomainPrefixPlusPayload() throws Exception {
    KeyFiles.writeKeyPair(dir.resolve("ours"), false);
    byte[] payload = "{\"some\":\"manifest\"}".getBytes(StandardCharsets.UTF_8);
    Signature sig = Signer.load(dir.resolve("ours.key")).sign(Domain.MANIFEST, payload);
    Files.write(dir.resolve("msg"), concat(Domain.MANIFEST.prefix(), payload));
    Files.write(dir.resolve("sig"), sig.sig());
    String out = run("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", file("ours.pub"), "-rawin",
        "-in", file("msg"), "-sigfile", file("sig"));
    assertTrue(out.contains("Signature Verified Successfully"), out);
  }

  @Test
  void weVerifyOpensslSignature_withItsPublicKeyFile() throws Exception {
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", file("theirs.key"));
    Files.writeString(dir.resolve("theirs.pub"), run("openssl", "pkey", "-in", file("theirs.key"), "-pubout"));
    byte[] payload = "tag bytes".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("msg"), concat(Domain.TAG.prefix(), payload));
    run("openssl", "pkeyutl", "-sign", "-inkey", file("theirs.key"), "-rawin", "-in", file("msg"), "-out", file("sig"));
    TrustedKeys trusted = TrustedKeys.load(List.of(dir.resolve("theirs.pub")));
    KeyId id = trusted.keyIds().iterator().next();
    assertEquals(id, trusted.verify(Domain.TAG, payload, List.of(new Signature(id, Files.readAllBytes(dir.resolve("sig"))))));
  }

  private String file(String name) {
    return dir.resolve(name).toString();
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    assertEquals(0, rc, String.join(" ", command) + " failed: " + out);
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
