package org.closurecache.core.manifest;

import org.closurecache.core.json.JsonFormatException;

/** A manifest document is malformed or breaks a rule; the message names the rule and the value. */
public final class ManifestFormatException extends JsonFormatException {
  public ManifestFormatException(String message) {
    super(message);
  }
}
