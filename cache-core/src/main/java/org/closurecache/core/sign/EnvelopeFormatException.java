package org.closurecache.core.sign;

import org.closurecache.core.json.JsonFormatException;

/**
 * A signed envelope ({@link SignedManifest}, {@link SignedTag}) or tag record is malformed:
 * unknown or missing fields, no or too many signatures, bad base64, a signature of the wrong
 * length. Problems inside an embedded manifest are reported as
 * {@link org.closurecache.core.manifest.ManifestFormatException} instead; both are
 * {@link JsonFormatException}s, i.e. IOExceptions about bad input, distinct from
 * {@link SignatureVerificationException} (well-formed but not trusted).
 */
public final class EnvelopeFormatException extends JsonFormatException {
  public EnvelopeFormatException(String message) {
    super(message);
  }
}
