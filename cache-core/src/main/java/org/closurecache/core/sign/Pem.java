package org.closurecache.core.sign;

import java.nio.file.Path;
import java.util.Base64;

/**
 * Minimal RFC 7468 PEM: one block, base64 lines of 64 characters, LF line ends. Reading accepts
 * CRLF, explanatory text before and after the block, and any line length, but refuses a second
 * block and PEM headers (the legacy encryption format) so an ambiguous file is never guessed at.
 */
final class Pem {
  private Pem() {}

  static String encode(String label, byte[] der) {
    StringBuilder out = new StringBuilder();
    out.append("-----BEGIN ").append(label).append("-----\n");
    out.append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)).append('\n');
    out.append("-----END ").append(label).append("-----\n");
    return out.toString();
  }

  /** The DER bytes of the one {@code label} block in {@code text}. */
  static byte[] decode(Path file, String text, String label, String expectedHint) throws KeyFormatException {
    String[] lines = text.replace("\r\n", "\n").split("\n", -1);
    int begin = -1;
    for (int i = 0; i < lines.length && begin < 0; i++) {
      if (lines[i].trim().startsWith("-----BEGIN ")) {
        begin = i;
      }
    }
    if (begin < 0) {
      throw new KeyFormatException(file, "not a PEM file (no \"-----BEGIN " + label + "-----\" line); expected " + expectedHint);
    }
    String found = lines[begin].trim();
    if (!found.equals("-----BEGIN " + label + "-----")) {
      throw new KeyFormatException(file, "found \"" + found + "\" but expected \"-----BEGIN " + label
          + "-----\" (" + expectedHint + ")" + hintFor(found));
    }
    StringBuilder base64 = new StringBuilder();
    int end = -1;
    for (int i = begin + 1; i < lines.length && end < 0; i++) {
      String line = lines[i].trim();
      if (line.equals("-----END " + label + "-----")) {
        end = i;
      } else if (line.startsWith("-----")) {
        throw new KeyFormatException(file, "unexpected \"" + line + "\" inside the " + label + " block");
      } else if (line.contains(":")) {
        throw new KeyFormatException(file, "PEM headers (\"" + line + "\") are not supported; "
            + "the key must be an unencrypted PKCS#8/SPKI block");
      } else {
        base64.append(line);
      }
    }
    if (end < 0) {
      throw new KeyFormatException(file, "the " + label + " block has no \"-----END " + label + "-----\" line (file truncated?)");
    }
    for (int i = end + 1; i < lines.length; i++) {
      if (lines[i].trim().startsWith("-----BEGIN ")) {
        throw new KeyFormatException(file, "holds more than one PEM block; put exactly one key in each file");
      }
    }
    try {
      return Base64.getDecoder().decode(base64.toString());
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException(file, "the " + label + " block is not valid base64 (" + e.getMessage() + ")");
    }
  }

  private static String hintFor(String beginLine) {
    if (beginLine.contains("ENCRYPTED")) {
      return "; the key is encrypted: store it unencrypted and protect it with file permissions"
          + " (openssl pkey -in KEY -out PLAIN.key)";
    }
    if (beginLine.contains("OPENSSH")) {
      return "; OpenSSH key files are not read: generate one with `openssl genpkey -algorithm ed25519`";
    }
    if (beginLine.contains("RSA") || beginLine.contains("EC ") || beginLine.contains("DSA")) {
      return "; only Ed25519 keys are supported";
    }
    return "";
  }
}
