package org.closurecache.server.http;

import io.undertow.io.Receiver;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.xnio.XnioExecutor;

/**
 * Reads a small request body (a JSON document) without holding a thread while it arrives: the
 * bytes are taken on the connection's IO thread as they come ({@link Receiver#receivePartialBytes})
 * and the route's work is dispatched to a worker thread only once the body is whole. A client that
 * trickles its body therefore costs a connection and the bytes it sent, never a worker.
 *
 * <p>Answers, and the route never runs: 413 {@code too-large} when the body (declared or received)
 * is over the route's bound; 408 {@code request-timeout}, closing the connection, when no byte came
 * for the stall limit ({@code idle-timeout}) or the whole body took longer than the deadline
 * ({@code body-timeout}). A connection lost mid-body is closed without an answer.
 *
 * <p>Immutable and thread-safe; each reception's state is touched only by the exchange's IO thread
 * (the receiver's callbacks and the timer both run there).
 */
final class BodyReceiver {
  private static final Logger LOG = Logger.getLogger(BodyReceiver.class.getName());

  /** What a route does with the whole body; runs on a worker thread. */
  interface Then {
    void handle(HttpServerExchange exchange, byte[] body) throws Exception;
  }

  private final long deadlineMillis;
  private final long stallMillis;

  BodyReceiver(Duration deadline, Duration stall) {
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("the body deadline must be positive, got " + deadline);
    }
    this.deadlineMillis = deadline.toMillis();
    // idle-timeout 0 means "never idle"; the deadline still bounds the body
    this.stallMillis = stall.isZero() || stall.isNegative() ? deadlineMillis : stall.toMillis();
  }

  /**
   * Receives the body of {@code exchange}, at most {@code max} bytes, then runs {@code then} on a
   * worker thread (through {@link WorkerHandler#guarded}). Must be called on the IO thread, with the
   * request's framing already checked ({@link FramingCheck}).
   */
  void receive(HttpServerExchange exchange, int max, String what, Then then) {
    if (!exchange.isInIoThread()) {
      throw new IllegalStateException("BodyReceiver.receive must run on the IO thread");
    }
    long declared = exchange.getRequestContentLength();
    if (declared > max) {
      HttpErrors.send(exchange, 413, "too-large", what + " of " + declared + " bytes is over the limit of " + max);
      return;
    }
    new Reception(exchange, max, declared, what, then).start();
  }

  private final class Reception implements Receiver.PartialBytesCallback, Receiver.ErrorCallback, Runnable {
    private final HttpServerExchange exchange;
    private final int max;
    private final String what;
    private final Then then;
    // grows with what arrives, never with what a header claims: a declared length costs nothing
    private final ByteArrayOutputStream body;
    private final long started = System.nanoTime();
    private long lastByte = started;
    private XnioExecutor.Key timer;
    private boolean over;

    Reception(HttpServerExchange exchange, int max, long declared, String what, Then then) {
      this.exchange = exchange;
      this.max = max;
      this.what = what;
      this.then = then;
      this.body = new ByteArrayOutputStream((int) Math.max(256, Math.min(declared, 16 << 10)));
    }

    void start() {
      schedule(Math.min(deadlineMillis, stallMillis));
      exchange.getRequestReceiver().receivePartialBytes(this, this);
    }

    private void schedule(long millis) {
      timer = exchange.getIoThread().executeAfter(this, Math.max(1, millis), TimeUnit.MILLISECONDS);
    }

    @Override
    public void handle(HttpServerExchange ex, byte[] data, boolean last) {
      if (over) {
        return;
      }
      lastByte = System.nanoTime();
      if (body.size() + (long) data.length > max) {
        finish();
        ex.getRequestReceiver().pause();
        // the rest of the body is drained by Undertow (bounded by MAX_ENTITY_SIZE) so the 413 arrives
        HttpErrors.send(ex, 413, "too-large", what + " is over the limit of " + max + " bytes");
        return;
      }
      body.write(data, 0, data.length);
      if (last) {
        finish();
        byte[] whole = body.toByteArray();
        ex.dispatch(() -> WorkerHandler.guarded(ex, () -> then.handle(ex, whole)));
      }
    }

    @Override
    public void error(HttpServerExchange ex, IOException e) {
      if (over) {
        return;
      }
      finish();
      LOG.log(Level.FINE, () -> ex.getRequestMethod() + " " + ex.getRequestPath() + ": body lost: " + e);
      org.xnio.IoUtils.safeClose(ex.getConnection());
    }

    /** The timer: cut the body off once it stalled or its deadline passed, else look again later. */
    @Override
    public void run() {
      timer = null;
      if (over || exchange.isResponseStarted()) {
        return;
      }
      long now = System.nanoTime();
      long elapsed = TimeUnit.NANOSECONDS.toMillis(now - started);
      long idle = TimeUnit.NANOSECONDS.toMillis(now - lastByte);
      String why;
      if (elapsed >= deadlineMillis) {
        why = what + " took longer than the body-timeout of " + deadlineMillis + " ms (" + body.size()
            + " bytes arrived)";
      } else if (idle >= stallMillis) {
        why = what + " stalled: no byte for " + idle + " ms after " + body.size() + " bytes";
      } else {
        schedule(Math.min(deadlineMillis - elapsed, stallMillis - idle));
        return;
      }
      finish();
      exchange.getRequestReceiver().pause();
      Connectors.executeRootHandler(ex -> HttpErrors.sendAndClose(ex, 408, "request-timeout",
          why + "; the connection is closed, retry the request"), exchange);
    }

    private void finish() {
      over = true;
      if (timer != null) {
        timer.remove();
        timer = null;
      }
    }
  }
}
