package org.closurecache.store.index;

import java.io.IOException;

/**
 * An entry whose bytes do not decode. Thrown by decoders; {@link IndexDatabase} turns it into an
 * {@link IndexCorruptException} that names the database.
 */
public final class CorruptEntryException extends IOException {
  public CorruptEntryException(String message) {
    super(message);
  }
}
