package org.closurecache.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.closurecache.core.json.CanonicalJson;

/**
 * Every error answer of the API: a status and a small JSON body,
 * {@code {"error":"<code>","message":"<what to do>", ...}}, so clients can branch on the code
 * and people can read the message. Stateless and thread-safe.
 */
public final class HttpErrors {
  private HttpErrors() {}

  public static ObjectNode body(String code, String message) {
    ObjectNode o = CanonicalJson.object();
    o.put("error", code);
    o.put("message", message);
    return o;
  }

  public static void send(HttpServerExchange exchange, int status, String code, String message) {
    send(exchange, status, body(code, message));
  }

  public static void send(HttpServerExchange exchange, int status, ObjectNode body) {
    if (exchange.isResponseStarted()) {
      // too late for a status: the connection is the only way left to say it failed
      org.xnio.IoUtils.safeClose(exchange.getConnection());
      return;
    }
    exchange.setStatusCode(status);
    Json.send(exchange, body);
  }

  /**
   * Answers, then closes the connection once the answer is written: for a request whose body will
   * never be read to its end (it stalled or overran its deadline), so the connection is not kept
   * open draining it.
   */
  public static void sendAndClose(HttpServerExchange exchange, int status, String code, String message) {
    exchange.setPersistent(false);
    if (exchange.isResponseStarted()) {
      org.xnio.IoUtils.safeClose(exchange.getConnection());
      return;
    }
    byte[] bytes = CanonicalJson.write(body(code, message));
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes.length);
    exchange.getResponseSender().send(ByteBuffer.wrap(bytes), new IoCallback() {
      @Override
      public void onComplete(HttpServerExchange ex, Sender sender) {
        org.xnio.IoUtils.safeClose(ex.getConnection());
        ex.endExchange();
      }

      @Override
      public void onException(HttpServerExchange ex, Sender sender, IOException e) {
        org.xnio.IoUtils.safeClose(ex.getConnection());
        ex.endExchange();
      }
    });
  }

  /** JSON responses. */
  public static final class Json {
    private Json() {}

    public static void send(HttpServerExchange exchange, com.fasterxml.jackson.databind.JsonNode body) {
      byte[] bytes = CanonicalJson.write(body);
      exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes.length);
      exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
    }
  }
}
