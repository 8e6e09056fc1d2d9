package org.closurecache.server.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.xnio.channels.ReadTimeoutException;

/**
 * A handler whose work blocks (disk, RocksDB, request bodies): it moves itself off the IO thread
 * first, and turns an unexpected failure into a 500 with a JSON body instead of a bare reset, and a
 * stalled request body into a 408 and a closed connection.
 */
abstract class WorkerHandler implements HttpHandler {
  private static final Logger LOG = Logger.getLogger(WorkerHandler.class.getName());

  @Override
  public final void handleRequest(HttpServerExchange exchange) {
    if (exchange.isInIoThread()) {
      exchange.dispatch(this);
      return;
    }
    try {
      handle(exchange);
    } catch (ReadTimeoutException e) {
      // The client stopped sending its body (Requests.blockingBody): answer, then close the
      // connection, since the rest of the body will never be read.
      exchange.setPersistent(false);
      HttpErrors.send(exchange, 408, "request-timeout",
          "the request body stalled (" + e.getMessage() + "); the connection is closed, retry the request");
    } catch (Exception e) {
      LOG.log(Level.WARNING, exchange.getRequestMethod() + " " + exchange.getRequestPath() + " failed", e);
      HttpErrors.send(exchange, 500, "internal", "the server failed: " + e);
    }
  }

  abstract void handle(HttpServerExchange exchange) throws Exception;
}
