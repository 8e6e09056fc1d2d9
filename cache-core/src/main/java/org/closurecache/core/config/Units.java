package org.closurecache.core.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Sizes and durations as people write them in flags and config files: {@code 4096}, {@code 512K},
 * {@code 64M}, {@code 4G}, {@code 1T} (powers of 1024, optional {@code B}/{@code iB}); {@code 250ms},
 * {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}, or ISO-8601 ({@code PT30S}). Stateless.
 */
public final class Units {
  private Units() {}

  public static long parseSize(String text) {
    String s = text.strip().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty size");
    }
    long unit = switch (s.charAt(s.length() - 1)) {
      case 'K' -> 1L << 10;
      case 'M' -> 1L << 20;
      case 'G' -> 1L << 30;
      case 'T' -> 1L << 40;
      default -> 1;
    };
    String number = unit == 1 ? s : s.substring(0, s.length() - 1);
    try {
      long n = Long.parseLong(number.strip());
      if (n < 0) {
        throw new IllegalArgumentException("size must not be negative: " + text);
      }
      return Math.multiplyExact(n, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("not a size: '" + text + "' (examples: 4096, 512K, 64M, 4G)");
    }
  }

  public static Duration parseDuration(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    try {
      if (s.startsWith("p")) {
        return Duration.parse(s.toUpperCase(Locale.ROOT));
      }
      int split = 0;
      while (split < s.length() && Character.isDigit(s.charAt(split))) {
        split++;
      }
      long n = Long.parseLong(s.substring(0, split));
      return switch (s.substring(split)) {
        case "ms" -> Duration.ofMillis(n);
        case "s", "" -> Duration.ofSeconds(n);
        case "m", "min" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        default -> throw new NumberFormatException();
      };
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 250ms, 30s, 5m, 2h, 7d)");
    }
  }
}
