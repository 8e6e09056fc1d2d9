package org.closurecache.client.master;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A misbehaving HTTP proxy on 127.0.0.1:0 in front of a real master, for fault tests. In
 * {@link Mode#PASS} it forwards faithfully (method, path, Range, Authorization; status,
 * Content-Length, Content-Range); the other modes break object GETs ({@code /v1/objects/sha256:…})
 * the way failing masters do, for the next {@code times} such responses (then it passes them):
 * {@link Mode#FAIL} answers 500 to every request; {@link Mode#CORRUPT} flips one body byte;
 * {@link Mode#CUT} sends {@code cutAfter} body bytes and closes the connection; {@link Mode#CORRUPT_CUT}
 * does the same with one of those bytes flipped (a corrupt prefix, then a drop); {@link Mode#STALL}
 * sends headers and a few bytes, then nothing until {@link #close}. Handlers run on their own
 * threads so a stalled one blocks nobody.
 */
final class TestProxy implements AutoCloseable {
  enum Mode { PASS, FAIL, CORRUPT, CUT, CORRUPT_CUT, STALL }

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final URI upstream;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile Mode mode = Mode.PASS;
  private final AtomicInteger times = new AtomicInteger();
  private volatile long cutAfter;
  final AtomicInteger objectGets = new AtomicInteger();
  final URI url;

  TestProxy(URI upstream) throws IOException {
    this.upstream = upstream;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Misbehave in {@code mode} for the next {@code n} object GETs (FAIL: every request while n lasts). */
  TestProxy mode(Mode m, int n) {
    times.set(n);
    mode = m;
    return this;
  }

  TestProxy cutAfter(long bytes) {
    cutAfter = bytes;
    return this;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      boolean objectGet = ex.getRequestMethod().equals("GET") && ex.getRequestURI().getPath().startsWith("/v1/objects/");
      if (objectGet) {
        objectGets.incrementAndGet();
      }
      Mode m = mode;
      boolean misbehave = m != Mode.PASS && (objectGet || m == Mode.FAIL) && times.getAndDecrement() > 0;
      if (misbehave && m == Mode.FAIL) {
        byte[] body = "{\"error\":\"internal\",\"message\":\"test proxy failing\"}".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(500, body.length);
        ex.getResponseBody().write(body);
        return;
      }
      HttpResponse<InputStream> up = forward(ex);
      long length = up.headers().firstValueAsLong("Content-Length").orElse(-2); // -2: chunked
      for (String h : List.of("Content-Type", "Content-Range", "ETag", "Accept-Ranges")) {
        up.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().set(h, v));
      }
      ex.sendResponseHeaders(up.statusCode(), length == -2 ? 0 : length == 0 ? -1 : length);
      try (InputStream in = up.body()) {
        byte[] body = in.readAllBytes();
        OutputStream out = ex.getResponseBody();
        if (!misbehave || body.length == 0) {
          out.write(body);
        } else if (m == Mode.CORRUPT) {
          body[body.length / 2] ^= 0x40;
          out.write(body);
        } else if (m == Mode.CUT || m == Mode.CORRUPT_CUT) {
          int n = (int) Math.min(cutAfter, body.length);
          if (m == Mode.CORRUPT_CUT) {
            body[n / 2] ^= 0x40;
          }
          out.write(body, 0, n);
          out.flush();
          // closing the exchange short of Content-Length makes HttpServer drop the connection
        } else if (m == Mode.STALL) {
          out.write(body, 0, Math.min(100, body.length));
          out.flush();
          closing.await(30, TimeUnit.SECONDS); // bounded: close() releases it
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException expected) {
      // short bodies on purpose, or the client went away
    }
  }

  private HttpResponse<InputStream> forward(HttpExchange ex) throws IOException, InterruptedException {
    byte[] body = ex.getRequestBody().readAllBytes();
    HttpRequest.Builder b = HttpRequest.newBuilder(upstream.resolve(ex.getRequestURI().getRawPath()))
        .timeout(Duration.ofSeconds(20))
        .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    for (String h : List.of("Range", "Authorization", "Content-Type")) {
      String v = ex.getRequestHeaders().getFirst(h);
      if (v != null) {
        b.header(h, v);
      }
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
