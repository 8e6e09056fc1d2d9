package org.closurecache.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpServerExchange;
import java.security.GeneralSecurityException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.closurecache.core.sign.KeyId;
import org.closurecache.core.sign.SignatureVerificationException;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.server.metrics.ServerMetrics;

/**
 * Checks a signed document (manifest or tag) against the configured publisher keys, and counts
 * each refusal. Two refusals, both 403, told apart by their code:
 *
 * <ul>
 *   <li>{@code untrusted-key}: no signature is by a key this master trusts (or it trusts none). The
 *       answer names the signing key ids ({@code keyIds}) and the trusted ones ({@code trusted}),
 *       and says how to trust another publisher ({@code --publisher-key});
 *   <li>{@code untrusted-signature}: the document carries no signature, or the signature by a
 *       trusted key does not match its content (altered, or made for something else).
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
final class PublisherCheck {
  /** A signature check that yields the document it vouches for. */
  interface Verification<T> {
    T verify(TrustedKeys trusted) throws GeneralSecurityException;
  }

  private static final String HOW_TO_TRUST = "to accept this publisher, give the master its public key with"
      + " --publisher-key FILE.pub (publisher-keys in the config file) and restart it";

  private final Optional<TrustedKeys> publishers;
  private final ServerMetrics metrics;

  PublisherCheck(Optional<TrustedKeys> publishers, ServerMetrics metrics) {
    this.publishers = publishers;
    this.metrics = metrics;
  }

  /** The verified document, or empty after answering 403; {@code what} names it in the answer. */
  <T> Optional<T> verify(HttpServerExchange exchange, String what, Verification<T> verification) {
    if (publishers.isEmpty()) {
      metrics.rejected("no-publisher-keys");
      refuseKey(exchange, what + " cannot be accepted: this master trusts no publisher key; " + HOW_TO_TRUST,
          List.of(), List.of());
      return Optional.empty();
    }
    try {
      return Optional.of(verification.verify(publishers.get()));
    } catch (SignatureVerificationException e) {
      boolean byTrustedKey = e.presentKeyIds().stream().anyMatch(publishers.get()::trusts);
      if (e.presentKeyIds().isEmpty() || byTrustedKey) {
        metrics.rejected("bad-signature");
        HttpErrors.send(exchange, 403, "untrusted-signature", e.getMessage());
      } else {
        metrics.rejected("untrusted-key");
        refuseKey(exchange, what + " is signed by " + ids(e.presentKeyIds())
            + ", which this master does not trust; it trusts publisher " + ids(e.trustedKeyIds()) + "; "
            + HOW_TO_TRUST, e.presentKeyIds(), e.trustedKeyIds());
      }
      return Optional.empty();
    } catch (GeneralSecurityException e) {
      metrics.rejected("bad-signature");
      HttpErrors.send(exchange, 403, "untrusted-signature", e.getMessage());
      return Optional.empty();
    }
  }

  private static void refuseKey(HttpServerExchange exchange, String message, Collection<KeyId> signed,
      Collection<KeyId> trusted) {
    ObjectNode body = HttpErrors.body("untrusted-key", message);
    ArrayNode keyIds = body.putArray("keyIds");
    signed.forEach(id -> keyIds.add(id.toString()));
    ArrayNode trustedIds = body.putArray("trusted");
    trusted.forEach(id -> trustedIds.add(id.toString()));
    HttpErrors.send(exchange, 403, body);
  }

  private static String ids(Collection<KeyId> ids) {
    return (ids.size() == 1 ? "key id " : "key ids ") + String.join(", ", ids.stream().map(KeyId::toString).toList());
  }
}
