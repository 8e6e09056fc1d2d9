package org.closurecache.core.json;

import java.io.IOException;

/** A JSON document from outside (a file, an HTTP body) is malformed or breaks a rule of its format. */
public class JsonFormatException extends IOException {
  public JsonFormatException(String message) {
    super(message);
  }
}
