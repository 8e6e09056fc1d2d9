package org.closurecache.server.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongSupplier;

/**
 * The master's Prometheus metrics, on a registry of its own: requests by route, method and
 * status; bytes of object bodies served; uploads refused, by reason; objects and bytes stored.
 * Thread-safe.
 */
public final class ServerMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests = Counter.builder()
      .name("closure_cache_http_requests_total")
      .help("HTTP requests answered, by route, method and status")
      .labelNames("route", "method", "status")
      .register(registry);
  private final Counter bytesServed = Counter.builder()
      .name("closure_cache_object_bytes_served_total")
      .help("Bytes of object bodies sent (GET, including partial content)")
      .register(registry);
  private final Counter rejectedUploads = Counter.builder()
      .name("closure_cache_uploads_rejected_total")
      .help("Uploads refused, by reason (digest-mismatch, too-large, unauthorized, bad-signature, ...)")
      .labelNames("reason")
      .register(registry);

  public ServerMetrics(LongSupplier objectCount, LongSupplier objectBytes) {
    GaugeWithCallback.builder()
        .name("closure_cache_objects_stored")
        .help("Objects in the store")
        .callback(cb -> cb.call(objectCount.getAsLong()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("closure_cache_object_bytes_stored")
        .help("Bytes of objects in the store")
        .callback(cb -> cb.call(objectBytes.getAsLong()))
        .register(registry);
  }

  /** Counts every response {@code handler} gives under {@code route}. */
  public HttpHandler count(String route, HttpHandler handler) {
    return exchange -> {
      exchange.addExchangeCompleteListener((ex, next) -> {
        requests.labelValues(route, ex.getRequestMethod().toString(), Integer.toString(ex.getStatusCode())).inc();
        next.proceed();
      });
      handler.handleRequest(exchange);
    };
  }

  public void served(long bytes) {
    bytesServed.inc(bytes);
  }

  public void rejected(String reason) {
    rejectedUploads.labelValues(reason).inc();
  }

  public String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  public void write(OutputStream out) throws IOException {
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
  }

  /** The status label a handler's response gets; exposed for tests. */
  static String status(HttpServerExchange exchange) {
    return Integer.toString(exchange.getStatusCode());
  }
}
