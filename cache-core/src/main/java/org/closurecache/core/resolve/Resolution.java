package org.closurecache.core.resolve;

import java.util.List;

/**
 * The result of emulating the loader on one program: the root object, then every object in the
 * order glibc's link map holds them (what {@code ld.so --list} prints), the interpreter included
 * at its place. Objects added later by {@link LibraryResolver.Session#dlopen} follow. Immutable.
 */
public record Resolution(LoadedObject root, List<LoadedObject> loadOrder, LoadedObject interpreter) {
  public Resolution {
    loadOrder = List.copyOf(loadOrder);
  }
}
