package org.closurecache.core.resolve;

import java.io.IOException;
import java.util.List;

/**
 * A DT_NEEDED library could not be found where the dynamic loader would look. The message names
 * the library, the object that needs it, and every place tried in the loader's order.
 */
public final class MissingLibraryException extends IOException {
  private final String library;
  private final String neededBy;
  private final List<String> tried;

  public MissingLibraryException(String library, String neededBy, List<String> tried) {
    super(library + " (needed by " + neededBy + ") was not found; searched, in the loader's order: "
        + (tried.isEmpty() ? "nothing (no search path applies)" : String.join(", ", tried)));
    this.library = library;
    this.neededBy = neededBy;
    this.tried = List.copyOf(tried);
  }

  public String library() {
    return library;
  }

  public String neededBy() {
    return neededBy;
  }

  /** Each place tried: a directory and the search list it came from, or the cache. */
  public List<String> tried() {
    return tried;
  }
}
