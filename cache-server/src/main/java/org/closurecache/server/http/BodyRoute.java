package org.closurecache.server.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * A route that takes a small JSON body: its cheap checks (credentials, path) run on the IO thread,
 * its body is received there without holding a thread ({@link BodyReceiver}), and its work runs on
 * a worker thread once the body is whole. So clients that trickle bodies, authenticated or not, can
 * never take the worker threads that answer reads.
 */
abstract class BodyRoute implements HttpHandler {
  private final BodyReceiver receiver;
  private final int max;
  private final String what;

  /** {@code max}: the largest body accepted; {@code what}: the body, in error messages. */
  BodyRoute(BodyReceiver receiver, int max, String what) {
    this.receiver = receiver;
    this.max = max;
    this.what = what;
  }

  @Override
  public final void handleRequest(HttpServerExchange exchange) {
    if (!exchange.isInIoThread()) {
      exchange.dispatch(exchange.getIoThread(), this);
      return;
    }
    if (admit(exchange)) {
      receiver.receive(exchange, max, what, this::handle);
    }
  }

  /** Checks that need no body and no blocking; answers and returns false to refuse the request. */
  abstract boolean admit(HttpServerExchange exchange);

  /** The route's work with the whole body, on a worker thread. */
  abstract void handle(HttpServerExchange exchange, byte[] body) throws Exception;
}
