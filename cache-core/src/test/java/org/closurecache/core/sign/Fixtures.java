package org.closurecache.core.sign;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Reason;

/** Small valid documents and keys shared by the signing tests. */
final class Fixtures {
  /** Generated once: key generation is cheap, but stable keys keep failures reproducible per run. */
  static final Ed25519KeyPair PUBLISHER = Ed25519KeyPair.generate();
  static final Ed25519KeyPair STRANGER = Ed25519KeyPair.generate();

  private Fixtures() {}

  /** One file {@code /bin/x} that is also the entry; the smallest manifest the model accepts. */
  static Manifest minimalManifest() {
    return manifestWithContent("x");
  }

  static Manifest manifestWithContent(String content) {
    Digest d = Digest.of(content.getBytes(StandardCharsets.UTF_8));
    TreeMap<String, FileEntry> files = new TreeMap<>();
    files.put("/bin/x", FileEntry.of(d, content.length(), 0755, 1_700_000_000L, Reason.ENTRY));
    return new Manifest(
        Manifest.SCHEMA,
        "x86_64-linux-gnu",
        "test",
        new EntryPoint("/bin/x", d),
        Optional.empty(),
        List.of(),
        files,
        new TreeMap<>(),
        new Launch(List.of("/bin/x"), new TreeMap<>(), "/"));
  }

  static TrustedKeys trustingPublisher() {
    return TrustedKeys.of(PUBLISHER.publicKey());
  }

  static Signer publisher() {
    return Signer.of(PUBLISHER);
  }

  static Signer stranger() {
    return Signer.of(STRANGER);
  }
}
