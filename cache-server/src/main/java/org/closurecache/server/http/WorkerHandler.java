package org.closurecache.server.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.xnio.channels.ReadTimeoutException;

/**
 * A handler whose work blocks (disk, RocksDB, request bodies): it moves itself off the IO thread
 * first (to Undertow's worker threads, or to the executor it was given), and turns an unexpected
 * failure into a 500 with a JSON body instead of a bare reset, a stalled or overdue request body
 * into a 408 and a closed connection, and a body its client abandoned into one log line.
 */
abstract class WorkerHandler implements HttpHandler {
  private static final Logger LOG = Logger.getLogger(WorkerHandler.class.getName());

  /** Work that may block and fail. */
  interface Work {
    void run() throws Exception;
  }

  private final Executor executor;

  /** Runs on Undertow's worker threads. */
  WorkerHandler() {
    this(null);
  }

  /** Runs on {@code executor}; null for Undertow's worker threads. */
  WorkerHandler(Executor executor) {
    this.executor = executor;
  }

  @Override
  public final void handleRequest(HttpServerExchange exchange) {
    if (exchange.isInIoThread()) {
      if (!admit(exchange)) {
        return;
      }
      if (executor == null) {
        exchange.dispatch(this);
      } else {
        exchange.dispatch(executor, this);
      }
      return;
    }
    guarded(exchange, () -> handle(exchange));
  }

  /**
   * Checks that need no blocking (credentials, path parameters), on the IO thread before the
   * request takes a thread; answers and returns false to refuse it. Admits everything by default.
   */
  boolean admit(HttpServerExchange exchange) {
    return true;
  }

  abstract void handle(HttpServerExchange exchange) throws Exception;

  /** Runs {@code work} for {@code exchange}, answering 408 or 500 for what it throws. */
  static void guarded(HttpServerExchange exchange, Work work) {
    try {
      work.run();
    } catch (ReadTimeoutException | RequestBodyTimeoutException e) {
      // The client stopped sending its body, or took too long (Requests.blockingBody): answer,
      // then close the connection, since the rest of the body will never be read.
      String why = e instanceof RequestBodyTimeoutException ? e.getMessage()
          : "the request body stalled (" + e.getMessage() + ")";
      HttpErrors.sendAndClose(exchange, 408, "request-timeout", why + "; the connection is closed, retry the request");
    } catch (RequestBodyLostException e) {
      // the client is gone: nobody to answer, and not the server's failure (no stack trace)
      LOG.info(exchange.getRequestMethod() + " " + exchange.getRequestPath() + " from " + exchange.getSourceAddress()
          + ": " + e.getMessage());
      org.xnio.IoUtils.safeClose(exchange.getConnection());
    } catch (Exception e) {
      LOG.log(Level.WARNING, exchange.getRequestMethod() + " " + exchange.getRequestPath() + " failed", e);
      HttpErrors.send(exchange, 500, "internal", "the server failed: " + e);
    }
  }
}
