package org.closurecache.store.index;

/**
 * A column family of one open {@link IndexDatabase}, by name; the native handle stays inside the
 * database. Obtained from {@link IndexDatabase#family}. Immutable.
 */
public record Family(String name, int position) {
  public Family {
    if (name == null || name.isEmpty() || position < 0) {
      throw new IllegalArgumentException("bad family " + name + " at " + position);
    }
  }
}
