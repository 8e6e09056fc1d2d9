package org.closurecache.core.sign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

/**
 * Ed25519 key files in the standard formats OpenSSL and most tools use.
 *
 * <ul>
 *   <li>Private key, {@code PREFIX.key}, mode 0600: PEM {@code -----BEGIN PRIVATE KEY-----}
 *       holding an unencrypted PKCS#8 v1 {@code PrivateKeyInfo} (RFC 8410): the DER is exactly
 *       {@code 302e020100300506032b657004220420} followed by the 32-byte seed. Same as
 *       {@code openssl genpkey -algorithm ed25519}.
 *   <li>Public key, {@code PREFIX.pub}, mode 0644: PEM {@code -----BEGIN PUBLIC KEY-----} holding
 *       a {@code SubjectPublicKeyInfo}: DER {@code 302a300506032b6570032100} followed by the raw
 *       32-byte key. Same as {@code openssl pkey -pubout}.
 * </ul>
 *
 * <p>Files are written to a temporary file in the target directory, created with their final
 * permissions (a private key is never readable by others, not even briefly), synced, then moved
 * into place atomically. Without {@code overwrite} an existing file is never replaced. Reading
 * a private key that group or others may access is refused, as ssh does. Writing needs a POSIX
 * filesystem; on others reading skips the permission check. Stateless and thread-safe.
 */
public final class KeyFiles {
  public static final String PRIVATE_SUFFIX = ".key";
  public static final String PUBLIC_SUFFIX = ".pub";
  public static final Set<PosixFilePermission> PRIVATE_MODE = PosixFilePermissions.fromString("rw-------");
  public static final Set<PosixFilePermission> PUBLIC_MODE = PosixFilePermissions.fromString("rw-r--r--");

  static final byte[] PRIVATE_DER_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");
  static final byte[] PUBLIC_DER_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  /** DER of the algorithm identifier's OID 1.3.101.112 (Ed25519), to tell "other algorithm" apart. */
  private static final byte[] ED25519_OID = HexFormat.of().parseHex("06032b6570");
  private static final int MAX_FILE_BYTES = 16 << 10;
  private static final String PRIVATE_LABEL = "PRIVATE KEY";
  private static final String PUBLIC_LABEL = "PUBLIC KEY";
  private static final String PRIVATE_HINT = "an unencrypted PKCS#8 Ed25519 private key, as written by"
      + " `openssl genpkey -algorithm ed25519`";
  private static final String PUBLIC_HINT = "an Ed25519 SubjectPublicKeyInfo, as written by `openssl pkey -pubout`";

  private KeyFiles() {}

  public static Path privateKeyPath(Path prefix) {
    return prefix.resolveSibling(prefix.getFileName() + PRIVATE_SUFFIX);
  }

  public static Path publicKeyPath(Path prefix) {
    return prefix.resolveSibling(prefix.getFileName() + PUBLIC_SUFFIX);
  }

  /** Generates a key pair and writes {@code PREFIX.key} and {@code PREFIX.pub}; returns its id. */
  public static KeyId writeKeyPair(Path prefix, boolean overwrite) throws IOException {
    return writeKeyPair(prefix, Ed25519KeyPair.generate(), overwrite);
  }

  /**
   * Writes {@code pair} as {@code PREFIX.key} and {@code PREFIX.pub}. Both paths are checked
   * before either is written, so a refused call leaves no half pair behind.
   */
  public static KeyId writeKeyPair(Path prefix, Ed25519KeyPair pair, boolean overwrite) throws IOException {
    Path privateFile = privateKeyPath(prefix);
    Path publicFile = publicKeyPath(prefix);
    if (!overwrite) {
      AtomicFiles.refuseExisting(privateFile);
      AtomicFiles.refuseExisting(publicFile);
    }
    writePrivateKey(privateFile, pair, overwrite);
    writePublicKey(publicFile, pair.publicKey(), overwrite);
    return pair.keyId();
  }

  public static void writePrivateKey(Path file, Ed25519KeyPair pair, boolean overwrite) throws IOException {
    byte[] der = concat(PRIVATE_DER_PREFIX, pair.seed());
    byte[] pem = Pem.encode(PRIVATE_LABEL, der).getBytes(StandardCharsets.US_ASCII);
    try {
      AtomicFiles.write(file, pem, PRIVATE_MODE, overwrite);
    } finally {
      Arrays.fill(der, (byte) 0);
      Arrays.fill(pem, (byte) 0);
    }
  }

  public static void writePublicKey(Path file, PublicKey key, boolean overwrite) throws IOException {
    byte[] der = concat(PUBLIC_DER_PREFIX, key.raw());
    AtomicFiles.write(file, Pem.encode(PUBLIC_LABEL, der).getBytes(StandardCharsets.US_ASCII), PUBLIC_MODE, overwrite);
  }

  /** Reads a private key file; refuses one that group or others can access. */
  public static Ed25519KeyPair readPrivateKey(Path file) throws IOException {
    requirePrivateMode(file);
    byte[] der = Pem.decode(file, readSmall(file), PRIVATE_LABEL, PRIVATE_HINT);
    try {
      byte[] seed = payload(file, der, PRIVATE_DER_PREFIX, Ed25519KeyPair.SEED_LENGTH, "private", PRIVATE_HINT);
      return Ed25519KeyPair.fromSeed(seed);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  public static PublicKey readPublicKey(Path file) throws IOException {
    byte[] der = Pem.decode(file, readSmall(file), PUBLIC_LABEL, PUBLIC_HINT);
    byte[] raw = payload(file, der, PUBLIC_DER_PREFIX, PublicKey.LENGTH, "public", PUBLIC_HINT);
    try {
      return PublicKey.of(raw);
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException(file, "the public key is not a valid Ed25519 point (" + e.getMessage() + ")");
    }
  }

  private static void requirePrivateMode(Path file) throws IOException {
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return; // no POSIX permissions to check on this filesystem
    }
    Set<PosixFilePermission> tooOpen = Set.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    if (mode.stream().anyMatch(tooOpen::contains)) {
      throw new KeyFormatException(file, "private key is accessible by group or others (mode "
          + PosixFilePermissions.toString(mode) + "); refusing to use it. Run: chmod 600 " + file);
    }
  }

  private static String readSmall(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_FILE_BYTES) {
      throw new KeyFormatException(file, "is " + size + " bytes; a key file is under 1 KiB (wrong file?)");
    }
    return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
  }

  private static byte[] payload(Path file, byte[] der, byte[] prefix, int length, String kind, String hint)
      throws KeyFormatException {
    boolean prefixMatches = der.length >= prefix.length
        && Arrays.equals(der, 0, prefix.length, prefix, 0, prefix.length);
    if (prefixMatches && der.length == prefix.length + length) {
      return Arrays.copyOfRange(der, prefix.length, der.length);
    }
    if (prefixMatches) {
      throw new KeyFormatException(file, "the " + kind + " key is " + (der.length - prefix.length)
          + " bytes after the DER header instead of " + length + " (truncated or corrupt); expected " + hint);
    }
    if (indexOf(der, ED25519_OID) < 0) {
      throw new KeyFormatException(file, "holds a " + kind + " key that is not Ed25519 (algorithm OID 1.3.101.112"
          + " not found); closure-cache only uses Ed25519 keys; expected " + hint);
    }
    throw new KeyFormatException(file, "the Ed25519 " + kind + " key has an unexpected DER structure (" + der.length
        + " bytes; attributes, an embedded public key or a truncated file?); expected " + hint
        + ". Re-export it with `openssl pkey`");
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
