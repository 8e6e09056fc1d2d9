package org.closurecache.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.RoutingHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.metrics.ServerMetrics;
import org.closurecache.server.store.ObjectStore;

/**
 * The reference master: the HTTP API v1 over an {@link ObjectStore} (routes and statuses in
 * {@code cache-server/API.md}). {@link #start} opens the store (cleaning its temp area and
 * reconciling the index with the files), binds, and serves; {@link #close} stops taking
 * requests, lets those in flight finish for the configured grace, then closes the store.
 * Thread-safe; close is idempotent.
 */
public final class CacheServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CacheServer.class.getName());

  private final ServerConfig config;
  private final ObjectStore store;
  private final Undertow undertow;
  private final GracefulShutdownHandler graceful;
  private final ServerMetrics metrics;
  private final boolean tls;
  private final ExecutorService uploads;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private CacheServer(ServerConfig config, ObjectStore store, Undertow undertow, GracefulShutdownHandler graceful,
      ServerMetrics metrics, boolean tls, ExecutorService uploads) {
    this.config = config;
    this.store = store;
    this.undertow = undertow;
    this.graceful = graceful;
    this.metrics = metrics;
    this.tls = tls;
    this.uploads = uploads;
  }

  public static CacheServer start(ServerConfig config) throws IOException {
    Auth auth = config.tokensFile().isPresent()
        ? Auth.load(config.tokensFile().get(), config.readsOpen()) : Auth.none();
    Optional<TrustedKeys> publishers = config.publisherKeys().isEmpty()
        ? Optional.empty() : Optional.of(TrustedKeys.load(config.publisherKeys()));
    SSLContext ssl = config.tlsCert().isPresent() ? Tls.context(config.tlsCert().get(), config.tlsKey().get()) : null;
    ObjectStore store = ObjectStore.open(config.store(), config.maxObjectSize());
    ExecutorService uploads = uploadThreads(config.uploadThreads());
    try {
      ServerMetrics metrics = new ServerMetrics(store.index()::objectCount, store.index()::objectBytes);
      GracefulShutdownHandler graceful = Handlers.gracefulShutdown(
          new FramingCheck(routes(config, store, auth, publishers, metrics, uploads)));
      int idleMillis = (int) Math.min(Integer.MAX_VALUE, config.idleTimeout().toMillis());
      Undertow.Builder builder = Undertow.builder()
          .setIoThreads(config.ioThreads())
          .setWorkerThreads(config.workerThreads())
          .setServerOption(UndertowOptions.MAX_HEADER_SIZE, config.maxHeaderSize())
          // Each route enforces its own body limit; this backstop must exceed the largest, or a
          // refused upload's remaining bytes could not be drained to deliver the 413 cleanly.
          .setServerOption(UndertowOptions.MAX_ENTITY_SIZE,
              Math.max(config.maxObjectSize(), SignedManifest.MAX_BYTES) + (1L << 20))
          .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, idleMillis)
          .setServerOption(UndertowOptions.IDLE_TIMEOUT, idleMillis)
          .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT,
              (int) Math.min(Integer.MAX_VALUE, config.requestParseTimeout().toMillis()))
          .setHandler(graceful);
      if (ssl != null) {
        builder.addHttpsListener(config.port(), config.host(), ssl);
      } else {
        builder.addHttpListener(config.port(), config.host());
      }
      Undertow undertow = builder.build();
      undertow.start();
      return new CacheServer(config, store, undertow, graceful, metrics, ssl != null, uploads);
    } catch (RuntimeException e) {
      uploads.shutdownNow();
      store.close();
      // Undertow wraps a failed bind (port in use, bad address) in a RuntimeException
      if (e.getCause() instanceof IOException io) {
        throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + io.getMessage(), io);
      }
      throw e;
    }
  }

  /**
   * Object uploads stream on these threads, apart from Undertow's workers: uploaders that are slow
   * (or hostile, with a write token) keep only each other waiting, never the reads.
   */
  private static ExecutorService uploadThreads(int count) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(count, task -> {
      Thread t = new Thread(task, "cache-server-upload-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  private static HttpHandler routes(ServerConfig config, ObjectStore store, Auth auth,
      Optional<TrustedKeys> publishers, ServerMetrics metrics, ExecutorService uploads) {
    BodyReceiver bodies = new BodyReceiver(config.bodyTimeout(), config.idleTimeout());
    HttpHandler objectGet = metrics.count("objects", new ObjectGetHandler(store.layout(), auth, metrics));
    HttpHandler objectPut = new ObjectPutHandler(store, auth, metrics, uploads, config.idleTimeout(),
        config.uploadTimeout());
    RoutingHandler routes = Handlers.routing()
        .get("/v1/objects/{digest}", objectGet)
        .add(Methods.HEAD, "/v1/objects/{digest}", objectGet)
        .put("/v1/objects/{digest}", metrics.count("objects", objectPut))
        .post("/v1/objects/missing",
            metrics.count("missing", new MissingHandler(store, auth, config.maxMissingBatch(), bodies)))
        .get("/v1/manifests/{digest}", metrics.count("manifests", ManifestHandlers.get(store, auth)))
        .put("/v1/manifests/{digest}",
            metrics.count("manifests", ManifestHandlers.put(store, auth, publishers, metrics, bodies)))
        .get("/v1/tags/{name}", metrics.count("tags", TagHandlers.get(store, auth)))
        .put("/v1/tags/{name}", metrics.count("tags", TagHandlers.put(store, auth, publishers, metrics, bodies)))
        .get("/healthz", metrics.count("healthz", exchange -> {
          ObjectNode body = CanonicalJson.object();
          body.put("status", "ok");
          body.put("objects", store.index().objectCount());
          body.put("bytes", store.index().objectBytes());
          HttpErrors.Json.send(exchange, body);
        }))
        .get("/metrics", metrics.count("metrics", exchange -> {
          if (!auth.require(exchange, Auth.Role.READ)) {
            return;
          }
          ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
          metrics.write(out);
          exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, metrics.contentType());
          exchange.getResponseSender().send(ByteBuffer.wrap(out.toByteArray()));
        }))
        // Its own code, not not-found: a client whose master URL has a wrong path can tell "this
        // server has no such route" from "this master lacks that tag".
        .setFallbackHandler(metrics.count("unknown", exchange ->
            HttpErrors.send(exchange, 404, "no-such-route", "no such route: " + exchange.getRequestPath()
                + "; this is a closure-cache master, whose API v1 is under /v1/ at the root of its URL")))
        .setInvalidMethodHandler(metrics.count("unknown", exchange ->
            HttpErrors.send(exchange, 405, "method-not-allowed",
                exchange.getRequestMethod() + " is not allowed on " + exchange.getRequestPath())));
    return exchange -> {
      try {
        routes.handleRequest(exchange);
      } catch (Exception e) {
        LOG.log(Level.WARNING, "request " + exchange.getRequestMethod() + " " + exchange.getRequestPath() + " failed", e);
        HttpErrors.send(exchange, 500, "internal", "the server failed: " + e);
      }
    };
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
  }

  /** {@code http://host:port} (or https) with the bound port. */
  public String baseUrl() {
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return (tls ? "https://" : "http://") + host + ":" + port();
  }

  public ObjectStore store() {
    return store;
  }

  public ServerMetrics metrics() {
    return metrics;
  }

  /** Blocks until {@link #close} has finished. */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      graceful.shutdown();
      graceful.awaitShutdown(config.shutdownGrace().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      undertow.stop();
      uploads.shutdownNow();
      store.close();
      stopped.countDown();
    }
  }
}
