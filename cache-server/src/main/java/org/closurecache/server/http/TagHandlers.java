package org.closurecache.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.core.sign.TrustedKeys;
import org.closurecache.server.metrics.ServerMetrics;
import org.closurecache.server.store.ObjectStore;
import org.closurecache.server.store.TagRevisionConflictException;

/**
 * {@code PUT}/{@code GET /v1/tags/{name}}: signed tag records (a mutable name for a manifest).
 *
 * <p>PUT (write role) takes a signed tag whose name equals the path's (else 400), whose signature
 * verifies against a publisher key (else 403), whose manifest is stored (else 409
 * {@code missing-manifest}) and whose revision is above the current one (else 409
 * {@code stale-revision} with both revisions): a tag never moves back. 201 for a new tag, 200
 * for a new revision. GET answers the current signed record with {@code Cache-Control:
 * no-cache} (it changes), or 404. PUT's body arrives on the IO thread ({@link BodyRoute}); the
 * rest of both routes runs on worker threads. Thread-safe.
 */
final class TagHandlers {
  private TagHandlers() {}

  static HttpHandler put(ObjectStore store, Auth auth, Optional<TrustedKeys> publishers, ServerMetrics metrics,
      BodyReceiver receiver) {
    PublisherCheck check = new PublisherCheck(publishers, metrics);
    return new BodyRoute(receiver, SignedTag.MAX_BYTES, "the signed tag") {
      @Override
      boolean admit(HttpServerExchange exchange) {
        if (!auth.require(exchange, Auth.Role.WRITE)) {
          metrics.rejected("unauthorized");
          return false;
        }
        String name = Requests.param(exchange, "name");
        if (!TagRecord.isValidName(name)) {
          HttpErrors.send(exchange, 400, "bad-tag-name",
              "tag names are 1 to 128 of [A-Za-z0-9._-], starting with a letter or digit; got \"" + name + "\"");
          return false;
        }
        return true;
      }

      @Override
      void handle(HttpServerExchange exchange, byte[] bytes) throws Exception {
        String name = Requests.param(exchange, "name");
        SignedTag signed;
        try {
          signed = SignedTag.parse(bytes);
        } catch (JsonFormatException e) {
          metrics.rejected("bad-tag");
          HttpErrors.send(exchange, 400, "bad-tag", e.getMessage());
          return;
        }
        Optional<TagRecord> verified = check.verify(exchange, "tag \"" + name + "\"", signed::verify);
        if (verified.isEmpty()) {
          return;
        }
        TagRecord record = verified.get();
        if (!record.name().equals(name)) {
          HttpErrors.send(exchange, 400, "tag-name-mismatch",
              "the signed record is for tag \"" + record.name() + "\", not \"" + name + "\"");
          return;
        }
        if (store.index().manifest(record.manifest()).isEmpty()) {
          HttpErrors.send(exchange, 409, "missing-manifest",
              "tag points to " + record.manifest() + ", which is not stored; upload the manifest first");
          return;
        }
        long current;
        try {
          current = store.index().tagRevision(name);
          store.putTag(name, record.revision(), bytes);
        } catch (TagRevisionConflictException e) {
          metrics.rejected("stale-revision");
          ObjectNode err = HttpErrors.body("stale-revision", e.getMessage());
          err.put("current", e.currentRevision());
          err.put("offered", e.offeredRevision());
          HttpErrors.send(exchange, 409, err);
          return;
        }
        ObjectNode ok = CanonicalJson.object();
        ok.put("name", name);
        ok.put("revision", record.revision());
        ok.put("manifest", record.manifest().toString());
        exchange.setStatusCode(current == 0 ? 201 : 200);
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
        String name = Requests.param(exchange, "name");
        Optional<byte[]> tag = TagRecord.isValidName(name) ? store.index().tag(name) : Optional.empty();
        if (tag.isEmpty()) {
          HttpErrors.send(exchange, 404, "not-found", "no tag \"" + name + "\" in this store");
          return;
        }
        var headers = exchange.getResponseHeaders();
        headers.put(Headers.CACHE_CONTROL, "no-cache");
        headers.put(Headers.CONTENT_TYPE, "application/json");
        headers.put(Headers.CONTENT_LENGTH, tag.get().length);
        exchange.getResponseSender().send(ByteBuffer.wrap(tag.get()));
      }
    };
  }
}
