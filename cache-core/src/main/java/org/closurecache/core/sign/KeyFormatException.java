package org.closurecache.core.sign;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A key file is not what it should be: not PEM, the wrong PEM label, not Ed25519, truncated,
 * or a private key others can read. The message names the file, the problem and what to do.
 */
public final class KeyFormatException extends IOException {
  private final Path file;

  public KeyFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public Path file() {
    return file;
  }
}
