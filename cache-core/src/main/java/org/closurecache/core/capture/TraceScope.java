package org.closurecache.core.capture;

import java.util.List;
import java.util.Optional;

/**
 * Which paths a recording run may contribute: a path under an excluded prefix is left out unless
 * it also lies under an included one; the longest matching prefix decides, so including
 * {@code /home/u/.pyenv} keeps that tree while {@code /home} stays excluded, and including
 * {@code /etc} does not bring back {@code /etc/shadow}. An include wins a tie. Prefixes match
 * whole components ({@code /tmp} covers {@code /tmp/x}, not {@code /tmpfoo}). Immutable.
 */
public record TraceScope(List<String> exclude, List<String> include) {
  public TraceScope {
    exclude = List.copyOf(exclude);
    include = List.copyOf(include);
  }

  /** The excluded prefix that leaves {@code path} out, or empty when the run may contribute it. */
  public Optional<String> excludedBy(String path) {
    String excluding = longestMatch(exclude, path);
    if (excluding == null) {
      return Optional.empty();
    }
    String including = longestMatch(include, path);
    return including != null && strip(including).length() >= strip(excluding).length()
        ? Optional.empty() : Optional.of(excluding);
  }

  private static String longestMatch(List<String> prefixes, String path) {
    String best = null;
    for (String prefix : prefixes) {
      String p = strip(prefix);
      boolean under = p.isEmpty() ? path.startsWith("/") : path.equals(p) || path.startsWith(p + "/");
      if (under && (best == null || p.length() > strip(best).length())) {
        best = prefix;
      }
    }
    return best;
  }

  /** {@code /x/} and {@code /x} are the same prefix; {@code /} covers everything. */
  private static String strip(String prefix) {
    return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }
}
