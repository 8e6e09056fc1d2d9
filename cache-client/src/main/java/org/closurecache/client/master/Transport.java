package org.closurecache.client.master;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.closurecache.core.json.CanonicalJson;

/**
 * One HTTP/1.1 {@link HttpClient} for every master, and the rules for turning its answers into
 * values, {@link Failover.NotHere}, {@link MasterRefusedException} or plain failures.
 *
 * <p>Requests are sent asynchronously and waited for here rather than with
 * {@link HttpRequest.Builder#timeout}, so an upload can be judged by its progress and bodies can be
 * read with a stall limit ({@link StreamedBody}). Thread-safe: the JDK client is, and this class
 * holds nothing else mutable. {@link #close} stops the client's threads.
 */
final class Transport implements AutoCloseable {
  private static final int MAX_ERROR_BODY = 64 << 10;

  /** Status, headers and a not-yet-read body from one master; close it to release the connection. */
  record Answer(URI master, String request, int status, HttpHeaders headers, Body body)
      implements AutoCloseable {
    @Override
    public void close() {
      body.close();
    }
  }

  private final MasterOptions options;
  private final ExecutorService executor;
  // Built on first use: creating a JDK HttpClient initialises TLS (~0.3 s), which a pull
  // answered from the cache never needs.
  private volatile HttpClient http;

  Transport(MasterOptions options) {
    this.options = options;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "master-http-" + n.incrementAndGet());
      t.setDaemon(true); // never keep a CLI alive
      return t;
    });
  }

  private HttpClient http() {
    HttpClient h = http;
    if (h == null) {
      synchronized (this) {
        h = http;
        if (h == null) {
          h = HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(options.connectTimeout())
              .followRedirects(HttpClient.Redirect.NEVER)
              .executor(executor)
              .build();
          http = h;
        }
      }
    }
    return h;
  }

  /** A request to {@code path} (starting with "/") under {@code master}, with the token if one is configured. */
  HttpRequest.Builder request(URI master, String path) {
    String base = master.toString();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    options.token().ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return b;
  }

  /**
   * Sends {@code request} and waits for the status and headers: at most {@code headersLimit}, or,
   * for an upload, {@code stallTimeout} without progress while sending and {@code requestTimeout}
   * after the last byte went out.
   */
  Answer send(URI master, HttpRequest request, Duration headersLimit, UploadProgress upload) throws IOException {
    String what = request.method() + " " + request.uri().getRawPath();
    CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> future =
        http().sendAsync(request, HttpResponse.BodyHandlers.ofPublisher());
    long start = System.nanoTime();
    HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
    try {
      while (true) {
        try {
          response = future.get(upload == null ? headersLimit.toNanos() : 200_000_000L, TimeUnit.NANOSECONDS);
          break;
        } catch (TimeoutException e) {
          long idle = System.nanoTime() - (upload == null ? start : Math.max(start, upload.lastNanos()));
          Duration limit = upload == null ? headersLimit
              : upload.done() ? options.requestTimeout() : options.stallTimeout();
          if (upload == null || idle >= limit.toNanos()) {
            future.cancel(true);
            throw new HttpTimeoutException(what + ": no answer within " + limit.toMillis() + " ms"
                + (upload != null && !upload.done() ? " (upload stalled)" : ""));
          }
        }
      }
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(what + " was interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(what + " failed: " + cause, cause);
    }
    StreamedBody body = new StreamedBody();
    response.body().subscribe(body);
    return new Answer(master, what, response.statusCode(), response.headers(), body);
  }

  /**
   * A plain GET through {@link HttpURLConnection}, for object bodies: on a large body the JDK's
   * {@code HttpClient} costs 3–4 times more CPU per byte (122 MB: 905–1,519 ms against 322–346 ms
   * in one JVM), which made pulls of big closures CPU-bound. Its read timeout, set to
   * {@code stall}, bounds the wait for the headers and for every chunk of the body.
   */
  Answer get(URI master, String path, Map<String, String> headers, Duration stall) throws IOException {
    String base = master.toString().replaceAll("/+$", "");
    String what = "GET " + path;
    HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
    c.setInstanceFollowRedirects(false);
    c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
    c.setReadTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, stall.toMillis())));
    options.token().ifPresent(t -> c.setRequestProperty("Authorization", "Bearer " + t));
    headers.forEach(c::setRequestProperty);
    int status;
    try {
      status = c.getResponseCode();
    } catch (java.net.SocketTimeoutException e) {
      c.disconnect();
      throw new HttpTimeoutException(what + ": no answer within " + stall.toMillis() + " ms");
    } catch (IOException e) {
      c.disconnect();
      throw e;
    }
    Map<String, List<String>> fields = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    c.getHeaderFields().forEach((k, v) -> {
      if (k != null) {
        fields.put(k, v);
      }
    });
    java.io.InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
    return new Answer(master, what, status, HttpHeaders.of(fields, (k, v) -> true), new StreamBody(c, in));
  }

  /**
   * The exception for an answer the caller did not expect: 404 is {@link Failover.NotHere} when
   * {@code notFoundIsAbsence} (reads: another master may have it), 408 and 429 are transient,
   * other 4xx are refusals, anything else (5xx, 3xx) is a failure of this master.
   */
  IOException unexpected(Answer a, boolean notFoundIsAbsence) {
    int s = a.status();
    byte[] raw;
    try {
      raw = a.body().readAll(MAX_ERROR_BODY, options.stallTimeout());
    } catch (IOException e) {
      raw = new byte[0];
    }
    String text = new String(raw, StandardCharsets.UTF_8);
    String code = "http-" + s;
    String message = text.length() > 300 ? text.substring(0, 300) + "…" : text;
    try {
      JsonNode node = CanonicalJson.parse(raw, MAX_ERROR_BODY, "error answer");
      if (node.path("error").isTextual()) {
        code = node.get("error").asText();
        message = node.path("message").asText("");
      }
    } catch (IOException notJson) {
      // a proxy's HTML error page: keep the raw text as the message
    }
    if (s == 404 && notFoundIsAbsence) {
      // the master's 404s carry its JSON error; a web server's or proxy's own page means the URL is wrong
      if (code.equals("no-such-route")) {
        // a master under a wrong path says so itself
        return new NotAMasterException(notAMaster(a.request() + " is no route of the master's API (404 no-such-route)"));
      }
      return code.equals("http-404") ? new NotAMasterException(notAMaster(a.request() + " answered 404 without the"
          + " API's JSON error body")) : new Failover.NotHere("404 not-found");
    }
    if (s >= 400 && s < 500 && s != 408 && s != 429) {
      return new MasterRefusedException(a.master(), a.request(), s, code, message, text);
    }
    return new IOException("answered " + s + " " + code + (message.isBlank() ? "" : ": " + message.strip()));
  }

  /**
   * Why {@code master} is not a closure-cache master, if a route every master has (the missing
   * query, asked about no objects) answers 404 under it too; empty otherwise, or if the question
   * cannot be settled (no answer, or a refusal a read-only proxy might give). Asked only after
   * every master said 404, to tell a wrong URL path from a missing tag, manifest or object.
   */
  java.util.Optional<String> notAMaster(URI master) {
    HttpRequest req = request(master, "/v1/objects/missing").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("[]", StandardCharsets.UTF_8)).build();
    try (Answer a = send(master, req, options.requestTimeout(), null)) {
      a.body().readAll(MAX_ERROR_BODY, options.stallTimeout()); // drain, so the connection is reused
      return a.status() == 404 ? java.util.Optional.of(notAMaster(a.request() + " answered 404 as well"))
          : java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }

  private static String notAMaster(String evidence) {
    return "not a closure-cache master (" + evidence + "; check the URL and its path)";
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
