package org.closurecache.client.settings;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.closurecache.core.config.PropertiesFile;
import org.closurecache.core.config.Units;

/**
 * What a node's or publisher's commands need to know, configured once: masters, cache
 * directory, trusted keys, credentials, parallelism, quota. Immutable.
 *
 * <p>Precedence, highest first: command-line flags; environment variables
 * ({@code CLOSURE_CACHE_MASTERS}, {@code _CACHE}, {@code _TRUST}, {@code _TOKEN_FILE},
 * {@code _PARALLELISM}, {@code _QUOTA}, {@code _LOCK_TIMEOUT}); the config file ({@code --config}, else
 * {@code $CLOSURE_CACHE_CONFIG}, else {@code /etc/closure-cache/client.properties} if it exists),
 * whose keys are {@code masters}, {@code cache}, {@code trust}, {@code token-file},
 * {@code parallelism}, {@code quota}, {@code lock-timeout} and whose relative paths are taken against its folder;
 * then the defaults: master {@code http://127.0.0.1:7070}, cache {@code var/cache},
 * parallelism 8, no quota, lock timeout 10 minutes.
 */
public record ClientSettings(
    List<URI> masters, Path cache, List<Path> trust, Optional<Path> tokenFile, int parallelism, Optional<Long> quota,
    Duration lockTimeout) {

  public static final Path SYSTEM_CONFIG = Path.of("/etc/closure-cache/client.properties");
  public static final Set<String> KEYS =
      Set.of("masters", "cache", "trust", "token-file", "parallelism", "quota", "lock-timeout");
  /** How long a command waits for another process's cache lock by default. */
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMinutes(10);
  private static final Map<String, String> ENV = Map.of(
      "masters", "CLOSURE_CACHE_MASTERS", "cache", "CLOSURE_CACHE_CACHE", "trust", "CLOSURE_CACHE_TRUST",
      "token-file", "CLOSURE_CACHE_TOKEN_FILE", "parallelism", "CLOSURE_CACHE_PARALLELISM",
      "quota", "CLOSURE_CACHE_QUOTA", "lock-timeout", "CLOSURE_CACHE_LOCK_TIMEOUT");

  public ClientSettings {
    masters = List.copyOf(masters);
    trust = List.copyOf(trust);
    if (masters.isEmpty()) {
      throw new IllegalArgumentException("at least one master is needed");
    }
    if (parallelism < 1 || parallelism > 256) {
      throw new IllegalArgumentException("parallelism must be 1 to 256, got " + parallelism);
    }
    if (lockTimeout == null || lockTimeout.isNegative()) {
      throw new IllegalArgumentException("lock-timeout must not be negative, got " + lockTimeout);
    }
  }

  public static ClientSettings defaults() {
    return new ClientSettings(List.of(URI.create("http://127.0.0.1:7070")), Path.of("var/cache"), List.of(),
        Optional.empty(), 8, Optional.empty(), DEFAULT_LOCK_TIMEOUT);
  }

  /** Resolves the settings from every source; {@code flags} holds only what was given. */
  public static ClientSettings resolve(Map<String, String> flags, Map<String, String> env, Optional<Path> configFlag)
      throws IOException {
    ClientSettings s = defaults();
    Optional<Path> config = configFlag.or(() -> Optional.ofNullable(env.get("CLOSURE_CACHE_CONFIG")).map(Path::of));
    if (config.isEmpty() && Files.isRegularFile(SYSTEM_CONFIG)) {
      config = Optional.of(SYSTEM_CONFIG);
    }
    if (config.isPresent()) {
      s = s.with(readFile(config.get()), config.get().toAbsolutePath().getParent(), "config file " + config.get());
    }
    Map<String, String> fromEnv = new TreeMap<>();
    ENV.forEach((key, var) -> {
      if (env.containsKey(var) && !env.get(var).isBlank()) {
        fromEnv.put(key, env.get(var));
      }
    });
    Path cwd = Path.of("").toAbsolutePath();
    s = s.with(fromEnv, cwd, "environment");
    return s.with(flags, cwd, "flags");
  }

  ClientSettings with(Map<String, String> settings, Path base, String source) {
    for (String key : settings.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(source + ": unknown setting '" + key + "'; known: "
            + String.join(", ", new TreeSet<>(KEYS)));
      }
    }
    List<URI> m = settings.containsKey("masters") ? parse(source, "masters", () -> parseMasters(settings.get("masters"))) : masters;
    Path c = settings.containsKey("cache") ? parse(source, "cache", () -> base.resolve(settings.get("cache").strip())) : cache;
    List<Path> t = settings.containsKey("trust") ? parse(source, "trust", () -> paths(settings.get("trust"), base)) : trust;
    Optional<Path> tf = settings.containsKey("token-file")
        ? parse(source, "token-file", () -> Optional.of(base.resolve(settings.get("token-file").strip()))) : tokenFile;
    int p = settings.containsKey("parallelism") ? parse(source, "parallelism", () -> integer(settings.get("parallelism")))
        : parallelism;
    Optional<Long> q = settings.containsKey("quota")
        ? parse(source, "quota", () -> Optional.of(Units.parseSize(settings.get("quota")))) : quota;
    Duration lt = settings.containsKey("lock-timeout")
        ? parse(source, "lock-timeout", () -> Units.parseDuration(settings.get("lock-timeout"))) : lockTimeout;
    try {
      return new ClientSettings(m, c, t, tf, p, q, lt);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** Parses one setting; a bad value is reported with where it came from and which key it was. */
  private static <T> T parse(String source, String key, java.util.function.Supplier<T> parser) {
    try {
      return parser.get();
    } catch (IllegalArgumentException e) {  // includes NumberFormatException and java.nio.file.InvalidPathException
      throw new IllegalArgumentException(source + ": " + key + ": " + e.getMessage(), e);
    }
  }

  private static int integer(String text) {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a whole number: '" + text.strip() + "'");
    }
  }

  /** The token file's first non-comment line, if a token file is set. */
  public Optional<String> token() throws IOException {
    if (tokenFile.isEmpty()) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(tokenFile.get(), StandardCharsets.UTF_8)) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("#")) {
        // accept the server's "ROLE TOKEN" format as well as a bare token
        String[] words = t.split("\\s+");
        return Optional.of(words.length >= 2 && (words[0].equals("read") || words[0].equals("write")) ? words[1] : words[0]);
      }
    }
    throw new IOException(tokenFile.get() + " holds no token");
  }

  /**
   * Parses a comma-separated list of master base URLs: each {@code http} or {@code https}, with a
   * host, a port in range if any, no query or fragment, none listed twice; trailing slashes are
   * dropped. Throws {@link IllegalArgumentException} naming the bad entry.
   */
  public static List<URI> parseMasters(String list) {
    List<URI> out = new ArrayList<>();
    for (String s : list.split(",")) {
      if (s.isBlank()) {
        continue;
      }
      URI u = null;
      try {
        u = URI.create(s.strip().replaceAll("/+$", ""));
      } catch (IllegalArgumentException e) {
        // not a URI at all: reported below with the value as given
      }
      if (u == null || u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
          || u.getHost() == null || u.getPort() > 65535 || u.getRawQuery() != null || u.getRawFragment() != null) {
        throw new IllegalArgumentException("a master must be an http(s)://HOST[:PORT] URL (a path may follow), got '" + s.strip() + "'");
      }
      if (out.contains(u)) {
        throw new IllegalArgumentException("master " + u + " is listed twice");
      }
      out.add(u);
    }
    return out;
  }

  private static List<Path> paths(String list, Path base) {
    List<Path> out = new ArrayList<>();
    for (String s : list.split(",")) {
      if (!s.isBlank()) {
        out.add(base.resolve(s.strip()));
      }
    }
    return out;
  }

  static Map<String, String> readFile(Path file) throws IOException {
    return PropertiesFile.read(file);
  }
}
