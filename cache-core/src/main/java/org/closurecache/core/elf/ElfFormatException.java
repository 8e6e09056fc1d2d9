package org.closurecache.core.elf;

import java.io.IOException;
import java.util.Objects;

/**
 * A file is not an ELF file, or is one this reader will not trust: truncated, self-contradictory or
 * pointing outside itself. Carries the file name and the reason separately so callers can decide
 * whether to skip the file (for example a shell script in a {@code bin/} directory) or fail.
 */
public final class ElfFormatException extends IOException {
  private final String source;
  private final String reason;

  public ElfFormatException(String source, String reason) {
    super(Objects.requireNonNull(source, "source") + ": " + Objects.requireNonNull(reason, "reason"));
    this.source = source;
    this.reason = reason;
  }

  /** The file (or other name given to the reader) the problem was found in. */
  public String source() {
    return source;
  }

  /** What is wrong, without the source prefix. */
  public String reason() {
    return reason;
  }
}
