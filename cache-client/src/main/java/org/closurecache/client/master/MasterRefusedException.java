package org.closurecache.client.master;

import java.io.IOException;
import java.net.URI;

/**
 * Thrown when a master answered with a 4xx that retrying elsewhere cannot fix: refused
 * credentials (401/403), a bad signature, a stale tag revision, missing objects, a digest that does
 * not match the uploaded bytes, or (status 404, code {@code not-found}) an object every master
 * said it lacks. Carries the status, the API's error code ({@code error} field; {@code "http-<status>"}
 * when the body had none) and the raw body, so callers can branch on the code and show the message.
 */
public final class MasterRefusedException extends IOException {
  private final URI master;
  private final int status;
  private final String code;
  private final String body;

  public MasterRefusedException(URI master, String request, int status, String code, String apiMessage, String body) {
    super(master + " refused " + request + ": " + status + " " + code
        + (apiMessage == null || apiMessage.isEmpty() ? "" : ": " + apiMessage) + hint(status, code));
    this.master = master;
    this.status = status;
    this.code = code;
    this.body = body;
  }

  /** The master that answered; for "not found on any master", the last one asked. */
  public URI master() {
    return master;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String body() {
    return body;
  }

  /** A credentials hint only for credential refusals: a 403 untrusted-key is about signing keys. */
  private static String hint(int status, String code) {
    if (status == 401) {
      return " (configure a token the master knows)";
    }
    return status == 403 && "forbidden".equals(code) ? " (the token lacks the role: uploads need a write token)" : "";
  }
}
