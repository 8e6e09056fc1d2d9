package org.closurecache.server.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.util.logging.Logger;

/**
 * Refuses a request whose {@code Content-Length} is not one plain decimal count of bytes that fits
 * a long, before any route sees it: 400 {@code bad-request}, one log line, and the connection is
 * closed. Undertow's own parser lets such lengths wrap around (2^64 + 1 reads as 1), so where its
 * body ends is in doubt and no later byte on the connection can be trusted as a new request.
 * Stateless and thread-safe.
 */
final class FramingCheck implements HttpHandler {
  private static final Logger LOG = Logger.getLogger(FramingCheck.class.getName());
  /** Long.MAX_VALUE has 19 digits. */
  private static final int MAX_DIGITS = 19;

  private final HttpHandler next;

  FramingCheck(HttpHandler next) {
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    var values = exchange.getRequestHeaders().get(Headers.CONTENT_LENGTH);
    if (values != null) {
      for (String value : values) {
        if (!isLength(value)) {
          String message = "Content-Length " + value + " is not a byte count this server can take"
              + " (a decimal number up to " + Long.MAX_VALUE + ")";
          LOG.warning("refused " + exchange.getRequestMethod() + " " + exchange.getRequestPath() + " from "
              + exchange.getSourceAddress() + ": " + message);
          HttpErrors.sendAndClose(exchange, 400, "bad-request", message);
          return;
        }
      }
    }
    next.handleRequest(exchange);
  }

  static boolean isLength(String value) {
    int n = value.length();
    if (n == 0 || n > MAX_DIGITS) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    // 19 digits may still be over Long.MAX_VALUE
    return n < MAX_DIGITS || value.compareTo(Long.toString(Long.MAX_VALUE)) <= 0;
  }
}
