package org.closurecache.core.capture;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Decides which environment variables of the publishing host go into a manifest. Names matching
 * a drop pattern (case-insensitive globs, {@code *} for any run of characters) are left out
 * unless they also match a keep pattern. The defaults drop what looks like a credential: an
 * agent socket or a token would let anyone who reads the manifest act as its publisher.
 * Immutable and thread-safe.
 */
public final class EnvFilter {
  public static final List<String> DEFAULT_DROP = List.of(
      "*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*PASSPHRASE*", "*CREDENTIAL*",
      "*API_KEY*", "*APIKEY*", "*ACCESS_KEY*", "*PRIVATE_KEY*", "*COOKIE*", "*SESSION*",
      // AUTH as a word, not as the start of AUTHOR (GIT_AUTHOR_NAME and _DATE decide a commit's hash)
      "AUTH", "AUTH_*", "*_AUTH", "*_AUTH_*", "*AUTHORIZATION*", "*AUTHTOKEN*",
      "SSH_AUTH_SOCK", "SSH_AGENT_PID", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY",
      "GPG_AGENT_INFO", "KRB5CCNAME", "DBUS_SESSION_BUS_ADDRESS", "XDG_SESSION_*",
      "PGPASS*", "MYSQL_PWD", "HISTFILE");

  private final List<String> drop;
  private final List<String> keep;
  private final List<Pattern> dropPatterns;
  private final List<Pattern> keepPatterns;

  public EnvFilter(List<String> drop, List<String> keep) {
    this.drop = List.copyOf(drop);
    this.keep = List.copyOf(keep);
    this.dropPatterns = compile(drop);
    this.keepPatterns = compile(keep);
  }

  public static EnvFilter defaults() {
    return new EnvFilter(DEFAULT_DROP, List.of());
  }

  /** Adds drop and keep patterns to this filter's. */
  public EnvFilter with(List<String> moreDrop, List<String> moreKeep) {
    List<String> d = new ArrayList<>(drop);
    d.addAll(moreDrop);
    List<String> k = new ArrayList<>(keep);
    k.addAll(moreKeep);
    return new EnvFilter(d, k);
  }

  public boolean keeps(String name) {
    return matchesAny(keepPatterns, name) || !matchesAny(dropPatterns, name);
  }

  public SortedMap<String, String> apply(Map<String, String> env) {
    SortedMap<String, String> out = new TreeMap<>();
    env.forEach((k, v) -> {
      if (keeps(k)) {
        out.put(k, v);
      }
    });
    return out;
  }

  private static boolean matchesAny(List<Pattern> patterns, String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    for (Pattern p : patterns) {
      if (p.matcher(upper).matches()) {
        return true;
      }
    }
    return false;
  }

  private static List<Pattern> compile(List<String> globs) {
    List<Pattern> out = new ArrayList<>();
    for (String g : globs) {
      StringBuilder re = new StringBuilder();
      for (char c : g.toUpperCase(Locale.ROOT).toCharArray()) {
        re.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
      }
      out.add(Pattern.compile(re.toString()));
    }
    return out;
  }
}
