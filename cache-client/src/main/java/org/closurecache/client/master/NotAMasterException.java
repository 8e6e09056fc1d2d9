package org.closurecache.client.master;

import java.io.IOException;

/**
 * The server at a configured URL answered, but not as a closure-cache master does: a 404 without
 * the API's JSON error body (a web server or proxy at a wrong path), or a 404 even to the missing
 * query, a route every master has (the master itself under a wrong path prefix). Said instead of
 * "not found", which would send an operator looking for a typo in the tag. Treated as that URL's
 * failure, like a 5xx.
 */
public final class NotAMasterException extends IOException {
  NotAMasterException(String message) {
    super(message);
  }
}
