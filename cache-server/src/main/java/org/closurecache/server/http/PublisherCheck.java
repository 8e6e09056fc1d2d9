package org.closurecache.server.http;

import io.undertow.server.HttpServerExchange;
import java.security.GeneralSecurityException;
import java.util.Optional;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.server.metrics.ServerMetrics;

/**
 * Checks a signed document (manifest or tag) against the configured publisher keys: answers 403
 * {@code untrusted-signature} and counts the refusal when no key is configured or none verifies.
 * Immutable and thread-safe.
 */
final class PublisherCheck {
  /** A signature check that yields the document it vouches for. */
  interface Verification<T> {
    T verify(TrustedKeys trusted) throws GeneralSecurityException;
  }

  private final Optional<TrustedKeys> publishers;
  private final ServerMetrics metrics;

  PublisherCheck(Optional<TrustedKeys> publishers, ServerMetrics metrics) {
    this.publishers = publishers;
    this.metrics = metrics;
  }

  /** The verified document, or empty after answering 403. */
  <T> Optional<T> verify(HttpServerExchange exchange, Verification<T> verification) {
    if (publishers.isEmpty()) {
      metrics.rejected("no-publisher-keys");
      HttpErrors.send(exchange, 403, "untrusted-signature",
          "this server trusts no publisher key; start it with publisher-keys set");
      return Optional.empty();
    }
    try {
      return Optional.of(verification.verify(publishers.get()));
    } catch (GeneralSecurityException e) {
      metrics.rejected("bad-signature");
      HttpErrors.send(exchange, 403, "untrusted-signature", e.getMessage());
      return Optional.empty();
    }
  }
}
