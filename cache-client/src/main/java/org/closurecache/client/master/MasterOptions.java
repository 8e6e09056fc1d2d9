package org.closurecache.client.master;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where and how a node talks to its masters (or HTTP proxies and mirrors in front of them).
 *
 * <p>{@code masters} are tried in this order (see {@link MasterClient}); each is an {@code http} or
 * {@code https} base URL, with or without a path prefix. {@code token} is sent as a bearer token
 * on every request, reads included, when present. {@code connectTimeout} bounds a TCP/TLS
 * connect; {@code requestTimeout} bounds small calls (manifests, tags, the missing query, and the
 * wait for an answer after an upload's last byte); {@code stallTimeout} is the longest an object
 * transfer may go without a byte in either direction before the master is given up on;
 * {@code retryPreferredAfter} is how long a failed master is passed over before it is tried first
 * again; {@code attempts} is how many times one call may try each master. Immutable.
 */
public record MasterOptions(List<URI> masters, Optional<String> token, Duration connectTimeout,
    Duration requestTimeout, Duration stallTimeout, Duration retryPreferredAfter, int attempts) {

  public MasterOptions {
    if (masters == null || masters.isEmpty()) {
      throw new IllegalArgumentException("configure at least one master URL");
    }
    masters = List.copyOf(masters);
    for (URI m : masters) {
      String scheme = m.getScheme();
      if (!("http".equals(scheme) || "https".equals(scheme)) || m.getHost() == null) {
        throw new IllegalArgumentException("master " + m + " must be an http:// or https:// URL with a host");
      }
      if (m.getQuery() != null || m.getFragment() != null) {
        throw new IllegalArgumentException("master " + m + " must not have a query or fragment");
      }
    }
    if (masters.stream().distinct().count() != masters.size()) {
      throw new IllegalArgumentException("masters are listed twice: " + masters);
    }
    token = token == null ? Optional.empty() : token;
    token.ifPresent(t -> {
      if (t.isBlank() || t.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
        throw new IllegalArgumentException("the token must be non-empty printable ASCII without spaces");
      }
    });
    requirePositive(connectTimeout, "connectTimeout");
    requirePositive(requestTimeout, "requestTimeout");
    requirePositive(stallTimeout, "stallTimeout");
    if (retryPreferredAfter == null || retryPreferredAfter.isNegative()) {
      throw new IllegalArgumentException("retryPreferredAfter must be zero or more, got " + retryPreferredAfter);
    }
    if (attempts < 1 || attempts > 10) {
      throw new IllegalArgumentException("attempts per master must be 1 to 10, got " + attempts);
    }
  }

  /** Defaults: 5 s connect, 60 s small calls, 20 s stall, preferred retried after 30 s, 2 attempts per master. */
  public static MasterOptions of(List<URI> masters, Optional<String> token) {
    return new MasterOptions(masters, token, Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(20),
        Duration.ofSeconds(30), 2);
  }

  public MasterOptions withStallTimeout(Duration stall) {
    return new MasterOptions(masters, token, connectTimeout, requestTimeout, stall, retryPreferredAfter, attempts);
  }

  public MasterOptions withRetryPreferredAfter(Duration after) {
    return new MasterOptions(masters, token, connectTimeout, requestTimeout, stallTimeout, after, attempts);
  }

  public MasterOptions withAttempts(int n) {
    return new MasterOptions(masters, token, connectTimeout, requestTimeout, stallTimeout, retryPreferredAfter, n);
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}
