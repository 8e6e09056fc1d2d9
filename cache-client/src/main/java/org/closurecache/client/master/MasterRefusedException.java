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

  private static String hint(int status, String code) {
    if (status == 403 && code.equals("untrusted-signature")) {
      return ""; // the token was fine; the master's own message says which keys it trusts
    }
    return switch (status) {
      case 401 -> " (configure a token the master knows)";
      case 403 -> " (the token lacks the role: uploads need a write token)";
      default -> "";
    };
  }
}
