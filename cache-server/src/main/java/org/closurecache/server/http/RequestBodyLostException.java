package org.closurecache.server.http;

import java.io.IOException;

/**
 * The client went away (closed or reset its connection) before its request body was whole. Nothing
 * of the body is kept and nobody is left to answer: {@link WorkerHandler} logs one line and closes
 * the connection.
 */
final class RequestBodyLostException extends IOException {
  RequestBodyLostException(String message, IOException cause) {
    super(message, cause);
  }
}
