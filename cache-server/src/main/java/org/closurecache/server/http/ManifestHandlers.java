package org.closurecache.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.server.metrics.ServerMetrics;
import org.closurecache.server.store.ObjectStore;

/**
 * {@code PUT}/{@code GET /v1/manifests/{digest}}: signed manifest envelopes.
 *
 * <p>PUT (write role) stores the envelope only when it parses strictly, its canonical manifest
 * hashes to the digest in the path (else 400 {@code digest-mismatch}), a signature verifies
 * against a configured publisher key (else 403 {@code untrusted-signature}), and every object it
 * names is stored (else 409 {@code missing-objects} listing them, at most 1,000 shown). 201 when
 * stored, 200 when already there. GET answers the envelope with a strong ETag and immutable
 * caching, or 404. PUT's body arrives on the IO thread ({@link BodyRoute}); the rest of both routes
 * runs on worker threads. Thread-safe.
 */
final class ManifestHandlers {
  private static final int MAX_LISTED = 1000;

  private ManifestHandlers() {}

  static HttpHandler put(ObjectStore store, Auth auth, Optional<TrustedKeys> publishers, ServerMetrics metrics,
      BodyReceiver receiver) {
    PublisherCheck check = new PublisherCheck(publishers, metrics);
    return new BodyRoute(receiver, SignedManifest.MAX_BYTES, "the signed manifest") {
      @Override
      boolean admit(HttpServerExchange exchange) {
        if (!auth.require(exchange, Auth.Role.WRITE)) {
          metrics.rejected("unauthorized");
          return false;
        }
        return Requests.digest(exchange).isPresent();
      }

      @Override
      void handle(HttpServerExchange exchange, byte[] bytes) throws Exception {
        Digest digest = Digest.parse(Requests.param(exchange, "digest")); // admitted: well-formed
        SignedManifest envelope;
        try {
          envelope = SignedManifest.parse(bytes);
        } catch (JsonFormatException e) {
          metrics.rejected("bad-manifest");
          HttpErrors.send(exchange, 400, "bad-manifest", e.getMessage());
          return;
        }
        if (!envelope.manifestDigest().equals(digest)) {
          metrics.rejected("digest-mismatch");
          ObjectNode err = HttpErrors.body("digest-mismatch",
              "the manifest hashes to " + envelope.manifestDigest() + ", not " + digest);
          err.put("expected", digest.toString());
          err.put("actual", envelope.manifestDigest().toString());
          HttpErrors.send(exchange, 400, err);
          return;
        }
        Optional<Manifest> verified = check.verify(exchange, "manifest " + digest, envelope::verify);
        if (verified.isEmpty()) {
          return;
        }
        Manifest manifest = verified.get();
        List<Digest> missing = store.missing(new ArrayList<>(manifest.objectDigests()));
        if (!missing.isEmpty()) {
          metrics.rejected("missing-objects");
          ObjectNode err = HttpErrors.body("missing-objects",
              missing.size() + " objects the manifest names are not stored; upload them first");
          err.put("count", missing.size());
          ArrayNode list = err.putArray("missing");
          missing.stream().limit(MAX_LISTED).forEach(d -> list.add(d.toString()));
          HttpErrors.send(exchange, 409, err);
          return;
        }
        boolean existed = store.index().manifest(digest).isPresent();
        if (!existed) {
          store.putManifest(digest, bytes);
        }
        ObjectNode ok = CanonicalJson.object();
        ok.put("digest", digest.toString());
        ok.put("created", !existed);
        exchange.setStatusCode(existed ? 200 : 201);
        HttpErrors.Json.send(exchange, ok);
      }
    };
  }

  static HttpHandler get(ObjectStore store, Auth auth) {
    return new WorkerHandler() {
      @Override
      void handle(HttpServerExchange exchange) throws Exception {
        if (!auth.require(exchange, Auth.Role.READ)) {
          return;
        }
        Optional<Digest> digest = Requests.digest(exchange);
        if (digest.isEmpty()) {
          return;
        }
        Optional<byte[]> envelope = store.index().manifest(digest.get());
        if (envelope.isEmpty()) {
          HttpErrors.send(exchange, 404, "not-found", "no manifest " + digest.get() + " in this store");
          return;
        }
        String etag = "\"" + digest.get() + "\"";
        var headers = exchange.getResponseHeaders();
        headers.put(Headers.ETAG, etag);
        headers.put(Headers.CACHE_CONTROL, ObjectGetHandler.CACHE_CONTROL);
        if (ObjectGetHandler.notModified(exchange.getRequestHeaders().getFirst(Headers.IF_NONE_MATCH), etag)) {
          exchange.setStatusCode(304);
          return;
        }
        headers.put(Headers.CONTENT_TYPE, "application/json");
        headers.put(Headers.CONTENT_LENGTH, envelope.get().length);
        exchange.getResponseSender().send(ByteBuffer.wrap(envelope.get()));
      }
    };
  }
}
