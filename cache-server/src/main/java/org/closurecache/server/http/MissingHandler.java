package org.closurecache.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.undertow.server.HttpServerExchange;
import java.util.ArrayList;
import java.util.List;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.server.store.ObjectStore;

/**
 * {@code POST /v1/objects/missing}: body a JSON array of digests (at most the configured batch),
 * answer the JSON array of those the store lacks, in the order asked: one round trip to
 * negotiate a whole closure. 400 for malformed JSON or digests (naming the first bad element),
 * 413 over the batch limit. Reads need the read role when reads are closed. The body arrives on
 * the IO thread ({@link BodyRoute}); the index look-ups run on a worker thread. Thread-safe.
 */
final class MissingHandler extends BodyRoute {
  /** Longest JSON text one digest takes: quotes, "sha256:", 64 hex, comma, some space. */
  private static final int BYTES_PER_DIGEST = 80;

  private final ObjectStore store;
  private final Auth auth;
  private final int maxBatch;

  MissingHandler(ObjectStore store, Auth auth, int maxBatch, BodyReceiver receiver) {
    super(receiver, (int) Math.min(Integer.MAX_VALUE - 16, (long) maxBatch * BYTES_PER_DIGEST + 1024),
        "the list of digests");
    this.store = store;
    this.auth = auth;
    this.maxBatch = maxBatch;
  }

  @Override
  boolean admit(HttpServerExchange exchange) {
    return auth.require(exchange, Auth.Role.READ);
  }

  @Override
  void handle(HttpServerExchange exchange, byte[] body) throws Exception {
    JsonNode list;
    try {
      list = CanonicalJson.parse(body, Integer.MAX_VALUE, "the list of digests");
    } catch (JsonFormatException e) {
      HttpErrors.send(exchange, 400, "bad-request", e.getMessage());
      return;
    }
    if (!list.isArray()) {
      HttpErrors.send(exchange, 400, "bad-request", "the body must be a JSON array of \"sha256:…\" strings");
      return;
    }
    if (list.size() > maxBatch) {
      HttpErrors.send(exchange, 413, "too-large",
          list.size() + " digests asked for at once; the limit is " + maxBatch + ": split the list");
      return;
    }
    List<Digest> asked = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      JsonNode element = list.get(i);
      try {
        asked.add(Digest.parse(element.isTextual() ? element.textValue() : null));
      } catch (IllegalArgumentException e) {
        HttpErrors.send(exchange, 400, "bad-digest", "element " + i + ": " + e.getMessage());
        return;
      }
    }
    ArrayNode out = CanonicalJson.object().arrayNode();
    for (Digest d : store.missing(asked)) {
      out.add(d.toString());
    }
    HttpErrors.Json.send(exchange, out);
  }
}
