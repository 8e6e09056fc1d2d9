package org.closurecache.server.http;

import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Deque;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.xnio.Options;

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
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(256, Math.min(declared, max)));
    byte[] buffer = new byte[16384];
    try (InputStream in = blockingBody(exchange)) {
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

  /**
   * The request body as a blocking stream, on a worker thread, whose reads give up with
   * {@link org.xnio.channels.ReadTimeoutException} once no byte has arrived for the server's
   * {@code idle-timeout}. Undertow's idle timer does not run while a worker blocks in a read, and
   * its blocking read otherwise waits 10 minutes, so a client that stalls mid-body would hold a
   * worker thread (and a temp file) that long. The timeout is set on the connection only for
   * this request's body and cleared when the exchange completes: a global socket read timeout
   * made every read of every connection pay for a timer.
   */
  static InputStream blockingBody(HttpServerExchange exchange) throws IOException {
    Integer idle = exchange.getConnection().getUndertowOptions().get(UndertowOptions.IDLE_TIMEOUT);
    if (idle != null && idle > 0 && exchange.getConnection().supportsOption(Options.READ_TIMEOUT)) {
      exchange.getConnection().setOption(Options.READ_TIMEOUT, idle);
      exchange.addExchangeCompleteListener((ex, next) -> {
        try {
          ex.getConnection().setOption(Options.READ_TIMEOUT, 0);
        } catch (IOException | IllegalArgumentException closed) {
          // the connection is gone: nothing left to reset
        }
        next.proceed();
      });
    }
    exchange.startBlocking();
    return exchange.getInputStream();
  }
}
