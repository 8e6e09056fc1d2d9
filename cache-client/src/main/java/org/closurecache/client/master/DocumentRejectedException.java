package org.closurecache.client.master;

import java.io.IOException;

/**
 * A tag or manifest a master served failed this node's checks: no signature by a trusted key,
 * another name than asked, or a tag revision older than one this cache accepted. Thrown by a
 * {@link MasterClient.DocumentCheck}, it is that master's failure, like bytes that do not match
 * their digest: the master is marked down and the next one is asked, and if none serves a copy
 * the node accepts, {@link MastersUnavailableException} lists each master with its reason.
 */
public final class DocumentRejectedException extends IOException {
  public DocumentRejectedException(String message) {
    super(message);
  }

  public DocumentRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
