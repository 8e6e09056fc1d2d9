package org.closurecache.client.master;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Flow;

/**
 * A response body pulled chunk by chunk with a limit on how long one chunk may take.
 *
 * <p>Why not {@code BodyHandlers.ofInputStream()}: its {@code read} blocks with no timeout and the
 * JDK's request timeout stops applying once headers arrive, so a master that sends headers and
 * then goes quiet would hang a fetch thread forever. Here the HTTP client pushes chunks into a
 * queue (a window of {@link #WINDOW} chunks requested ahead) and {@link #next}
 * waits on the queue with a timeout; on a stall, an error or {@link #close} before the end, the
 * subscription is cancelled, which closes the connection instead of returning it to the pool.
 * One reader thread; the HTTP client's threads only call the subscriber methods.
 */
final class StreamedBody implements Flow.Subscriber<List<ByteBuffer>>, Body {
  /** Chunks (each a few buffers of up to 16 KiB) the client may deliver ahead of the reader. */
  private static final int WINDOW = 32;
  /** Thrown when no byte arrived for the stall limit. */
  static final class StalledException extends HttpTimeoutException {
    StalledException(String message) {
      super(message);
    }
  }

  private static final Object END = new Object();
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private volatile Flow.Subscription subscription;
  private volatile boolean finished;

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (finished) {
      s.cancel(); // closed before the client subscribed us
    } else {
      // a window of chunks in flight: asking for one at a time made the client's reader wait
      // for ours on every chunk (a 130 MB object arrived at ~30 MB/s)
      s.request(WINDOW);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    queue.add(item);
  }

  @Override
  public void onError(Throwable t) {
    queue.add(t);
  }

  @Override
  public void onComplete() {
    queue.add(END);
  }

  /** The next chunk, or null at the end of the body; throws on a transport error or a stall. */
  @SuppressWarnings("unchecked")
  public List<ByteBuffer> next(Duration stall) throws IOException {
    if (finished) {
      return null;
    }
    Object item;
    try {
      item = queue.poll(stall.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new InterruptedIOException("interrupted while reading a response body");
    }
    if (item == null) {
      close();
      throw new StalledException("no body byte for " + stall.toMillis() + " ms (stalled)");
    }
    if (item == END) {
      finished = true;
      return null;
    }
    if (item instanceof Throwable t) {
      finished = true;
      throw t instanceof IOException io ? io : new IOException("reading the body failed: " + t, t);
    }
    subscription.request(1);
    return (List<ByteBuffer>) item;
  }

  /** Cancels the body unless it was read to the end (a cancelled HTTP/1.1 connection is closed). */
  @Override
  public void close() {
    if (!finished) {
      finished = true;
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
    }
  }
}
