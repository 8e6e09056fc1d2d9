package org.closurecache.core.sign;

import java.security.GeneralSecurityException;
import java.util.List;

/**
 * No signature on a document was both by a trusted key and valid. Extends
 * {@link GeneralSecurityException}, not IOException, on purpose: code that retries or skips on
 * I/O trouble must not treat a forged or untrusted document as a transient failure. Carries the
 * key ids that signed and the ids that are trusted, so operators can see which key is missing
 * from the node's configuration.
 */
public final class SignatureVerificationException extends GeneralSecurityException {
  private final List<KeyId> presentKeyIds;
  private final List<KeyId> trustedKeyIds;

  public SignatureVerificationException(String message, List<KeyId> presentKeyIds, List<KeyId> trustedKeyIds) {
    super(message);
    this.presentKeyIds = List.copyOf(presentKeyIds);
    this.trustedKeyIds = List.copyOf(trustedKeyIds);
  }

  /** Key ids the document's signatures name, in envelope order. */
  public List<KeyId> presentKeyIds() {
    return presentKeyIds;
  }

  /** Key ids of the keys that were trusted when verifying, sorted. */
  public List<KeyId> trustedKeyIds() {
    return trustedKeyIds;
  }
}
