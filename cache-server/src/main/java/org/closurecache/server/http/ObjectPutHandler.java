package org.closurecache.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.server.metrics.ServerMetrics;
import org.closurecache.server.store.ObjectStore;
import org.closurecache.server.store.ObjectTooLargeException;
import org.xnio.channels.ReadTimeoutException;

/**
 * {@code PUT /v1/objects/{digest}}: stores an object, verified while it streams to disk.
 *
 * <ul>
 *   <li>201 when stored, 200 when the store already had it (the body is not read);
 *   <li>400 {@code digest-mismatch} naming expected and actual digests; nothing is kept;
 *   <li>401/403 without a write credential; 413 over the size cap (before reading when
 *       {@code Content-Length} says so); 507 when the store's disk is full; 408 and a closed
 *       connection when the body stalls for {@code idle-timeout} or is not whole within
 *       {@code upload-timeout} (see {@link WorkerHandler}).
 * </ul>
 *
 * <p>Credentials and the digest are checked on the IO thread; the upload itself streams to disk
 * on the executor it is given (the server's upload threads), never on the worker threads that
 * answer reads, so slow uploaders can only keep other uploads waiting. Thread-safe.
 */
final class ObjectPutHandler extends WorkerHandler {
  private final ObjectStore store;
  private final Auth auth;
  private final ServerMetrics metrics;
  private final Duration stall;
  private final Duration uploadTimeout;

  /** {@code stall}: the idle-timeout; {@code uploadTimeout}: the longest a whole body may take. */
  ObjectPutHandler(ObjectStore store, Auth auth, ServerMetrics metrics, Executor uploads, Duration stall,
      Duration uploadTimeout) {
    super(uploads);
    this.stall = stall;
    this.store = store;
    this.auth = auth;
    this.metrics = metrics;
    this.uploadTimeout = uploadTimeout;
  }

  @Override
  boolean admit(HttpServerExchange exchange) {
    if (!auth.require(exchange, Auth.Role.WRITE)) {
      metrics.rejected("unauthorized");
      return false;
    }
    if (Requests.digest(exchange).isEmpty()) {
      metrics.rejected("bad-digest");
      return false;
    }
    return true;
  }

  @Override
  void handle(HttpServerExchange exchange) throws Exception {
    Digest digest = Digest.parse(Requests.param(exchange, "digest")); // admitted: well-formed
    if (store.contains(digest)) {
      answer(exchange, 200, digest, false);
      return;
    }
    long declared = exchange.getRequestContentLength();
    try {
      ObjectStore.PutResult result = store.put(digest, Requests.blockingBody(exchange, stall, uploadTimeout), declared);
      answer(exchange, result == ObjectStore.PutResult.CREATED ? 201 : 200, digest,
          result == ObjectStore.PutResult.CREATED);
    } catch (DigestMismatchException e) {
      metrics.rejected("digest-mismatch");
      ObjectNode body = HttpErrors.body("digest-mismatch", e.getMessage());
      body.put("expected", e.expected().toString());
      body.put("actual", e.actual().toString());
      HttpErrors.send(exchange, 400, body);
    } catch (ObjectTooLargeException e) {
      metrics.rejected("too-large");
      HttpErrors.send(exchange, 413, "too-large", e.getMessage());
    } catch (ReadTimeoutException | RequestBodyTimeoutException e) {
      metrics.rejected("stalled");
      throw e;
    } catch (IOException e) {
      if (isDiskFull(e)) {
        metrics.rejected("disk-full");
        HttpErrors.send(exchange, 507, "insufficient-storage", "the store's disk is full: " + e.getMessage());
      } else {
        throw e;
      }
    }
  }

  private static void answer(HttpServerExchange exchange, int status, Digest digest, boolean created) {
    ObjectNode body = CanonicalJson.object();
    body.put("digest", digest.toString());
    body.put("created", created);
    exchange.setStatusCode(status);
    HttpErrors.Json.send(exchange, body);
  }

  static boolean isDiskFull(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
        return true;
      }
    }
    return false;
  }
}
