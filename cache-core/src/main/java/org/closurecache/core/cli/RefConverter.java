package org.closurecache.core.cli;

import org.closurecache.core.manifest.Ref;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a command-line {@code REF} with {@link Ref#parse}, so a bad one is a usage error (exit 2,
 * one line naming the value) before any command starts work. {@link Cli#run} registers it for
 * every {@link Ref} parameter. Thread-safe (no state).
 */
public final class RefConverter implements ITypeConverter<Ref> {
  @Override
  public Ref convert(String value) {
    try {
      return Ref.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
