package org.closurecache.server.http;

import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.closurecache.server.metrics.ServerMetrics;
import org.closurecache.server.store.StoreLayout;

/**
 * {@code GET}/{@code HEAD /v1/objects/{digest}}: an object's bytes, sent from the file with
 * {@code sendfile} (zero copy; {@link FileTransfer}), or with the headers in one write when small.
 *
 * <ul>
 *   <li>200 with {@code Content-Length}, strong {@code ETag} (the digest) and
 *       {@code Cache-Control: public, max-age=31536000, immutable}: objects never change;
 *   <li>206 for one satisfiable {@code Range} ({@code bytes=a-b}, {@code a-}, {@code -n}), with
 *       {@code Content-Range}; 416 with {@code Content-Range: bytes *}{@code /size} when
 *       unsatisfiable; other range forms get the whole object, as RFC 9110 allows;
 *   <li>304 when {@code If-None-Match} names the digest;
 *   <li>400 for a malformed digest, 404 with a JSON body for an unknown one.
 * </ul>
 *
 * <p>Runs on the IO thread: it touches no index, only {@code open} and {@code fstat} of an
 * immutable file, the same work a static web server does in its event loop. Thread-safe.
 */
final class ObjectGetHandler implements HttpHandler {
  static final String CACHE_CONTROL = "public, max-age=31536000, immutable";
  /** Bodies up to this size are read and sent with the headers; larger ones go by sendfile. */
  static final long SMALL = 64 << 10;
  private static final HttpString ACCEPT_RANGES = Headers.ACCEPT_RANGES;

  private final StoreLayout layout;
  private final Auth auth;
  private final ServerMetrics metrics;

  ObjectGetHandler(StoreLayout layout, Auth auth, ServerMetrics metrics) {
    this.layout = layout;
    this.auth = auth;
    this.metrics = metrics;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws IOException {
    if (!auth.require(exchange, Auth.Role.READ)) {
      return;
    }
    Optional<Digest> parsed = Requests.digest(exchange);
    if (parsed.isEmpty()) {
      return;
    }
    Digest digest = parsed.get();
    FileChannel channel;
    try {
      channel = FileChannel.open(layout.objectPath(digest), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      HttpErrors.send(exchange, 404, "not-found", "no object " + digest + " in this store");
      return;
    }
    boolean handedOver = false;
    try {
      long size = channel.size();
      String etag = "\"" + digest + "\"";
      var headers = exchange.getResponseHeaders();
      headers.put(Headers.ETAG, etag);
      headers.put(Headers.CACHE_CONTROL, CACHE_CONTROL);
      headers.put(ACCEPT_RANGES, "bytes");
      headers.put(Headers.CONTENT_TYPE, "application/octet-stream");
      if (notModified(exchange.getRequestHeaders().getFirst(Headers.IF_NONE_MATCH), etag)) {
        exchange.setStatusCode(304);
        exchange.endExchange();
        return;
      }
      long start = 0;
      long end = size - 1;
      ByteRange range = ByteRange.parse(exchange.getRequestHeaders().getFirst(Headers.RANGE), size);
      String ifRange = exchange.getRequestHeaders().getFirst(Headers.IF_RANGE);
      if (range != null && (ifRange == null || ifRange.equals(etag))) {
        if (!range.satisfiable()) {
          headers.put(Headers.CONTENT_RANGE, "bytes */" + size);
          HttpErrors.send(exchange, 416, "range-not-satisfiable",
              "the object has " + size + " bytes; the range asked for lies outside them");
          return;
        }
        start = range.start();
        end = range.end();
        exchange.setStatusCode(206);
        headers.put(Headers.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + size);
      }
      long length = end - start + 1;
      headers.put(Headers.CONTENT_LENGTH, length);
      if (exchange.getRequestMethod().equals(Methods.HEAD) || length == 0) {
        exchange.endExchange();
        return;
      }
      handedOver = true;
      if (length <= SMALL) {
        // one writev carries headers and body; sendfile would cost a second system call
        ByteBuffer body = ByteBuffer.allocate((int) length);
        while (body.hasRemaining() && channel.read(body, start + body.position()) > 0) {
          // read the slice
        }
        channel.close();
        body.flip();
        exchange.getResponseSender().send(body, new Counted(metrics, length));
      } else {
        FileTransfer.start(exchange, channel, start, length, metrics);
      }
    } finally {
      if (!handedOver) {
        channel.close();
      }
    }
  }

  static boolean notModified(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String candidate : ifNoneMatch.split(",")) {
      String c = candidate.strip();
      if (c.equals("*") || c.equals(etag) || c.equals("W/" + etag)) {
        return true;
      }
    }
    return false;
  }

  /** Counts a small body once it is sent, then ends the exchange. */
  private record Counted(ServerMetrics metrics, long length) implements IoCallback {
    @Override
    public void onComplete(HttpServerExchange exchange, Sender sender) {
      metrics.served(length);
      IoCallback.END_EXCHANGE.onComplete(exchange, sender);
    }

    @Override
    public void onException(HttpServerExchange exchange, Sender sender, IOException exception) {
      IoCallback.END_EXCHANGE.onException(exchange, sender, exception);
    }
  }
}
