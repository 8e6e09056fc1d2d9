package org.closurecache.server.http;

import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.digest.Digest;
import org.xnio.channels.Channels;
import org.xnio.channels.StreamSourceChannel;

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
   * The request body as a blocking stream, for a worker thread, read straight from the request
   * channel. A read gives up with {@link RequestBodyTimeoutException} once no byte has arrived for
   * {@code stall} (the server's {@code idle-timeout}), or once the whole body has taken longer than
   * {@code deadline}: a client that stalls, or trickles, holds the thread no longer than that. A
   * connection lost mid-body is {@link RequestBodyLostException}. The connection itself is left
   * alone (no socket read timeout, which made XNIO close it under the handler and lose the 408
   * once a body was past its first buffer).
   */
  static InputStream blockingBody(HttpServerExchange exchange, Duration stall, Duration deadline) {
    return new BodyStream(exchange.getRequestChannel(), stall, deadline);
  }

  /** See {@link #blockingBody}. Not thread-safe: one reader. */
  private static final class BodyStream extends InputStream {
    private final StreamSourceChannel channel;
    private final long stallNanos;
    private final long deadlineNanos;
    private final long started = System.nanoTime();
    private long lastByte = started;
    private long received;

    BodyStream(StreamSourceChannel channel, Duration stall, Duration deadline) {
      this.channel = channel;
      this.deadlineNanos = deadline.toNanos();
      this.stallNanos = stall.isZero() || stall.isNegative() ? deadlineNanos : stall.toNanos();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (channel == null) {
        return -1; // the request had no body, or it was read already
      }
      if (len == 0) {
        return 0;
      }
      ByteBuffer into = ByteBuffer.wrap(b, off, len);
      while (true) {
        long now = System.nanoTime();
        long toDeadline = deadlineNanos - (now - started);
        long toStall = stallNanos - (now - lastByte);
        if (toDeadline <= 0) {
          throw new RequestBodyTimeoutException("the request body took longer than the upload-timeout of "
              + deadlineNanos / 1_000_000 + " ms (" + received + " bytes arrived)");
        }
        if (toStall <= 0) {
          throw new RequestBodyTimeoutException("the request body stalled: no byte for "
              + (now - lastByte) / 1_000_000 + " ms after " + received + " bytes");
        }
        int n;
        try {
          n = Channels.readBlocking(channel, into, Math.min(toDeadline, toStall), TimeUnit.NANOSECONDS);
        } catch (IOException e) {
          throw new RequestBodyLostException("the client went away after " + received + " bytes of the body: "
              + e.getMessage(), e);
        }
        if (n != 0) {
          if (n > 0) {
            received += n;
            lastByte = System.nanoTime();
          }
          return n;
        }
      }
    }
  }
}
