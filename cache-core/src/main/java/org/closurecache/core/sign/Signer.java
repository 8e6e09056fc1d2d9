package org.closurecache.core.sign;

import java.io.IOException;
import java.nio.file.Path;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Signs payloads in a {@link Domain} with one private key. Thread-safe: each call uses its own
 * BouncyCastle signer, and Ed25519 signing is deterministic, so the same key, domain and payload
 * always give the same signature.
 */
public final class Signer {
  private final Ed25519KeyPair keyPair;

  private Signer(Ed25519KeyPair keyPair) {
    if (keyPair == null) {
      throw new IllegalArgumentException("key pair must not be null");
    }
    this.keyPair = keyPair;
  }

  public static Signer of(Ed25519KeyPair keyPair) {
    return new Signer(keyPair);
  }

  /** A signer for the private key in {@code privateKeyFile}; see {@link KeyFiles#readPrivateKey}. */
  public static Signer load(Path privateKeyFile) throws IOException {
    return new Signer(KeyFiles.readPrivateKey(privateKeyFile));
  }

  public KeyId keyId() {
    return keyPair.keyId();
  }

  public PublicKey publicKey() {
    return keyPair.publicKey();
  }

  /** Signs {@code domain.prefix()} followed by {@code payload}. */
  public Signature sign(Domain domain, byte[] payload) {
    if (domain == null || payload == null) {
      throw new IllegalArgumentException("domain and payload must not be null");
    }
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, keyPair.privateKey());
    byte[] prefix = domain.prefix();
    signer.update(prefix, 0, prefix.length);
    signer.update(payload, 0, payload.length);
    return new Signature(keyPair.keyId(), signer.generateSignature());
  }

  @Override
  public String toString() {
    return "Signer[" + keyId() + "]";
  }
}
