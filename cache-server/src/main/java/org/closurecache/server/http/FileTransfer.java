package org.closurecache.server.http;

import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.nio.channels.FileChannel;
import org.closurecache.server.metrics.ServerMetrics;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;

/**
 * Sends a slice of a file as the response body with {@code sendfile}, entirely on the
 * connection's IO thread: when the socket is full it waits for writability instead of handing the
 * rest to a worker thread, as Undertow's own {@code Sender.transferFrom} does (one thread
 * hand-off per socket-buffer refill halved throughput for large objects). Closes the file when
 * done or failed. One instance per response; confined to the IO thread.
 */
final class FileTransfer implements ChannelListener<StreamSinkChannel> {
  private final HttpServerExchange exchange;
  private final FileChannel file;
  private final ServerMetrics metrics;
  private final long count;
  private long position;
  private long remaining;

  private FileTransfer(HttpServerExchange exchange, FileChannel file, long position, long count, ServerMetrics metrics) {
    this.exchange = exchange;
    this.file = file;
    this.position = position;
    this.remaining = count;
    this.count = count;
    this.metrics = metrics;
  }

  /** Starts sending {@code count} bytes of {@code file} from {@code position}; headers must be set. */
  static void start(HttpServerExchange exchange, FileChannel file, long position, long count, ServerMetrics metrics) {
    new FileTransfer(exchange, file, position, count, metrics).handleEvent(exchange.getResponseChannel());
  }

  @Override
  public void handleEvent(StreamSinkChannel out) {
    try {
      while (remaining > 0) {
        // some conduits in the chain read from the channel's own position, not the argument
        file.position(position);
        long n = out.transferFrom(file, position, remaining);
        if (n == 0) {
          if (position >= file.size()) {
            throw new IOException("object file ended " + remaining + " bytes early");
          }
          out.getWriteSetter().set(this);
          out.resumeWrites();
          return;
        }
        position += n;
        remaining -= n;
      }
      out.suspendWrites();
      IoUtils.safeClose(file);
      metrics.served(count);
      out.shutdownWrites();
      if (out.flush()) {
        exchange.endExchange();
      } else {
        out.getWriteSetter().set(ChannelListeners.flushingChannelListener(
            channel -> exchange.endExchange(), ChannelListeners.closingChannelExceptionHandler()));
        out.resumeWrites();
      }
    } catch (IOException e) {
      // the client went away or the disk failed mid-body: the status is sent, so only closing is left
      IoUtils.safeClose(file);
      IoUtils.safeClose(exchange.getConnection());
    }
  }
}
