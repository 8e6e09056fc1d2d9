package org.closurecache.server.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.closurecache.core.config.PropertiesFile;
import org.closurecache.core.config.Units;

/**
 * Everything {@code cache-server serve} needs. Built from defaults, then a config file, then
 * command-line flags (each later source wins). Immutable.
 *
 * <p>The config file is Java properties ({@code key = value}, {@code #} comments); relative paths
 * in it are taken against the file's directory. Keys: {@code store}, {@code listen}
 * ({@code HOST:PORT}), {@code max-object-size}, {@code tokens-file}, {@code reads-open},
 * {@code publisher-keys} (comma-separated {@code .pub} files), {@code tls-cert}, {@code tls-key},
 * {@code max-missing-batch}, {@code idle-timeout}, {@code request-parse-timeout},
 * {@code body-timeout}, {@code upload-timeout}, {@code max-header-size}, {@code io-threads},
 * {@code worker-threads}, {@code upload-threads}, {@code shutdown-grace}.
 *
 * <p>{@code body-timeout} bounds how long the body of a missing batch, manifest or tag may take
 * to arrive in all; {@code upload-timeout} does the same for an object's body. Object uploads run
 * on their own {@code upload-threads}, so they never take the worker threads that answer reads.
 */
public record ServerConfig(
    Path store,
    String host,
    int port,
    long maxObjectSize,
    Optional<Path> tokensFile,
    boolean readsOpen,
    List<Path> publisherKeys,
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    int maxMissingBatch,
    Duration idleTimeout,
    Duration requestParseTimeout,
    Duration bodyTimeout,
    Duration uploadTimeout,
    int maxHeaderSize,
    int ioThreads,
    int workerThreads,
    int uploadThreads,
    Duration shutdownGrace) {

  public static final Set<String> KEYS = Set.of(
      "store", "listen", "max-object-size", "tokens-file", "reads-open", "publisher-keys", "tls-cert",
      "tls-key", "max-missing-batch", "idle-timeout", "request-parse-timeout", "body-timeout", "upload-timeout",
      "max-header-size", "io-threads", "worker-threads", "upload-threads", "shutdown-grace");

  public ServerConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
    }
    if (maxObjectSize <= 0 || maxMissingBatch <= 0 || maxHeaderSize < 1024 || ioThreads <= 0 || workerThreads <= 0
        || uploadThreads <= 0) {
      throw new IllegalArgumentException("sizes, batch and thread counts must be positive"
          + " (max-header-size at least 1024)");
    }
    if (tlsCert.isPresent() != tlsKey.isPresent()) {
      throw new IllegalArgumentException("TLS needs both tls-cert and tls-key");
    }
    if (bodyTimeout.isNegative() || bodyTimeout.isZero() || uploadTimeout.isNegative() || uploadTimeout.isZero()) {
      throw new IllegalArgumentException("body-timeout and upload-timeout must be positive");
    }
    publisherKeys = List.copyOf(publisherKeys);
  }

  /** The defaults: a first try on one machine. */
  public static ServerConfig defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new ServerConfig(Path.of("var/store"), "127.0.0.1", 7070, 4L << 30, Optional.empty(), true, List.of(),
        Optional.empty(), Optional.empty(), 100_000, Duration.ofSeconds(60), Duration.ofSeconds(30),
        Duration.ofSeconds(60), Duration.ofHours(1), 16 << 10, Math.max(2, cores), Math.max(8, cores * 4),
        Math.max(4, cores * 2), Duration.ofSeconds(30));
  }

  /** Applies {@code key=value} settings over this config; {@code base} resolves relative paths. */
  public ServerConfig with(Map<String, String> settings, Path base) {
    Map<String, String> s = new TreeMap<>(settings);
    for (String key : s.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown setting '" + key + "'; known: "
            + String.join(", ", new java.util.TreeSet<>(KEYS)));
      }
    }
    String listen = s.getOrDefault("listen", host + ":" + port);
    int colon = listen.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("listen must be HOST:PORT, got '" + listen + "'");
    }
    String newHost = listen.substring(0, colon).replaceAll("^\\[|\\]$", "");
    int newPort;
    try {
      newPort = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("listen must be HOST:PORT, got '" + listen + "'");
    }
    if (newPort < 0 || newPort > 65535) {
      throw new IllegalArgumentException("listen: port must be 0 to 65535, got '" + listen + "'");
    }
    List<Path> keys = publisherKeys;
    if (s.containsKey("publisher-keys")) {
      keys = new ArrayList<>();
      for (String k : s.get("publisher-keys").split(",")) {
        if (!k.isBlank()) {
          keys.add(base.resolve(k.strip()));
        }
      }
    }
    return new ServerConfig(
        s.containsKey("store") ? base.resolve(s.get("store")) : store,
        newHost, newPort,
        s.containsKey("max-object-size") ? parse(s, "max-object-size", Units::parseSize) : maxObjectSize,
        s.containsKey("tokens-file") ? Optional.of(base.resolve(s.get("tokens-file"))) : tokensFile,
        s.containsKey("reads-open") ? parse(s, "reads-open", ServerConfig::bool) : readsOpen,
        keys,
        s.containsKey("tls-cert") ? Optional.of(base.resolve(s.get("tls-cert"))) : tlsCert,
        s.containsKey("tls-key") ? Optional.of(base.resolve(s.get("tls-key"))) : tlsKey,
        s.containsKey("max-missing-batch") ? parse(s, "max-missing-batch", ServerConfig::count) : maxMissingBatch,
        s.containsKey("idle-timeout") ? parse(s, "idle-timeout", Units::parseDuration) : idleTimeout,
        s.containsKey("request-parse-timeout")
            ? parse(s, "request-parse-timeout", Units::parseDuration) : requestParseTimeout,
        s.containsKey("body-timeout") ? parse(s, "body-timeout", Units::parseDuration) : bodyTimeout,
        s.containsKey("upload-timeout") ? parse(s, "upload-timeout", Units::parseDuration) : uploadTimeout,
        s.containsKey("max-header-size") ? parse(s, "max-header-size", ServerConfig::intSize) : maxHeaderSize,
        s.containsKey("io-threads") ? parse(s, "io-threads", ServerConfig::count) : ioThreads,
        s.containsKey("worker-threads") ? parse(s, "worker-threads", ServerConfig::count) : workerThreads,
        s.containsKey("upload-threads") ? parse(s, "upload-threads", ServerConfig::count) : uploadThreads,
        s.containsKey("shutdown-grace") ? parse(s, "shutdown-grace", Units::parseDuration) : shutdownGrace);
  }

  /** Parses one setting; a bad value's error names the setting. */
  private static <T> T parse(Map<String, String> settings, String key, java.util.function.Function<String, T> parser) {
    try {
      return parser.apply(settings.get(key));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
  }

  private static int count(String s) {
    try {
      return Integer.parseInt(s.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a whole number: '" + s + "'");
    }
  }

  private static int intSize(String s) {
    long size = Units.parseSize(s);
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("size " + s + " is over 2 GiB");
    }
    return (int) size;
  }

  /** Reads a config file's settings. */
  public static Map<String, String> readFile(Path file) throws IOException {
    return PropertiesFile.read(file);
  }

  private static boolean bool(String s) {
    return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new IllegalArgumentException("expected true or false, got '" + s + "'");
    };
  }
}
