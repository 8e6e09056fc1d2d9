package org.closurecache.core.cli;

import java.util.ArrayList;
import java.util.List;
import org.closurecache.core.manifest.Ref;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a command-line {@code REF} with {@link Ref#parse}, so a bad one is a usage error (exit 2,
 * one line naming the value) before any command starts work. {@link Cli#run} registers it for
 * every {@link Ref} parameter. Thread-safe (no state).
 *
 * <p>A parameter taking several REFs is declared as strings and read with {@link #convertAll}:
 * picocli leaves a value of a variable-arity positional parameter that its converter refuses as
 * an "unmatched argument", which would hide the reason.
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

  /** Each of {@code values}, or a usage error of {@code commandLine} naming the first bad one. */
  public static List<Ref> convertAll(CommandLine commandLine, String paramLabel, List<String> values) {
    List<Ref> refs = new ArrayList<>(values.size());
    for (String value : values) {
      try {
        refs.add(Ref.parse(value));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(commandLine,
            "Invalid value for positional parameter " + paramLabel + ": " + e.getMessage(), e, null, value);
      }
    }
    return refs;
  }
}
