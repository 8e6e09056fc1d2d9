package org.closurecache.core.sign;

import java.security.SecureRandom;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * An Ed25519 private key (its 32-byte RFC 8032 seed) with the public key derived from it.
 * Immutable and thread-safe. {@link #toString()} never shows the secret.
 */
public final class Ed25519KeyPair {
  public static final int SEED_LENGTH = 32;

  private final Ed25519PrivateKeyParameters privateKey;
  private final PublicKey publicKey;

  private Ed25519KeyPair(Ed25519PrivateKeyParameters privateKey) {
    this.privateKey = privateKey;
    this.publicKey = PublicKey.of(privateKey.generatePublicKey().getEncoded());
  }

  /** A fresh key pair from a new {@link SecureRandom}. */
  public static Ed25519KeyPair generate() {
    return generate(new SecureRandom());
  }

  public static Ed25519KeyPair generate(SecureRandom random) {
    Ed25519KeyPairGenerator generator = new Ed25519KeyPairGenerator();
    generator.init(new Ed25519KeyGenerationParameters(random));
    AsymmetricCipherKeyPair pair = generator.generateKeyPair();
    return new Ed25519KeyPair((Ed25519PrivateKeyParameters) pair.getPrivate());
  }

  /** The key pair whose private key is this 32-byte seed (as stored in a PKCS#8 file). */
  public static Ed25519KeyPair fromSeed(byte[] seed) {
    if (seed == null || seed.length != SEED_LENGTH) {
      throw new IllegalArgumentException(
          "an Ed25519 private key seed is 32 bytes, got " + (seed == null ? "null" : seed.length));
    }
    return new Ed25519KeyPair(new Ed25519PrivateKeyParameters(seed, 0));
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  public KeyId keyId() {
    return publicKey.keyId();
  }

  /** A copy of the secret seed; only key files need it. */
  byte[] seed() {
    return privateKey.getEncoded();
  }

  Ed25519PrivateKeyParameters privateKey() {
    return privateKey;
  }

  @Override
  public String toString() {
    return "Ed25519KeyPair[" + keyId() + "]";
  }
}
