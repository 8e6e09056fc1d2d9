package org.closurecache.server.http;

import java.io.IOException;

/**
 * A request body that stopped arriving, or did not arrive in time: answered 408
 * {@code request-timeout} and its connection closed ({@link WorkerHandler}). The message says which
 * limit was passed and how much of the body came.
 */
final class RequestBodyTimeoutException extends IOException {
  RequestBodyTimeoutException(String message) {
    super(message);
  }
}
