package org.closurecache.server.http;

import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Deque;
import java.util.Optional;
import org.closurecache.core.digest.Digest;

/** Reading what a request carries, bounded. Stateless and thread-safe. */
final class Requests {
  private Requests() {}

  /** The path parameter {@code name}, as the routing template matched it. */
  static String param(HttpServerExchange exchange, String name) {
    Deque<String> values = exchange.getQueryParameters().get(name);
    return values == null ? "" : values.getFirst();
  }

  /** The {@code {digest}} parameter, or empty after answering 400. */
  static Optional<Digest> digest(HttpServerExchange exchange) {
    String text = param(exchange, "digest");
    try {
      return Optional.of(Digest.parse(text));
    } catch (IllegalArgumentException e) {
      HttpErrors.send(exchange, 400, "bad-digest", e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Reads the whole body, at most {@code max} bytes, in a blocking worker thread. Answers 413
   * and returns empty when the body is larger.
   */
  static Optional<byte[]> body(HttpServerExchange exchange, int max, String what) throws IOException {
    long declared = exchange.getRequestContentLength();
    if (declared > max) {
      HttpErrors.send(exchange, 413, "too-large", what + " of " + declared + " bytes is over the limit of " + max);
      return Optional.empty();
    }
    exchange.startBlocking();
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(256, Math.min(declared, max)));
    byte[] buffer = new byte[16384];
    try (InputStream in = exchange.getInputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (out.size() + n > max) {
          HttpErrors.send(exchange, 413, "too-large", what + " is over the limit of " + max + " bytes");
          return Optional.empty();
        }
        out.write(buffer, 0, n);
      }
    }
    return Optional.of(out.toByteArray());
  }
}
