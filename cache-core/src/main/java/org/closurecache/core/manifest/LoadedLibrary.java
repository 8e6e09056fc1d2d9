package org.closurecache.core.manifest;

/**
 * One shared object as the dynamic loader loads it: the name it was asked for (a DT_NEEDED
 * entry, or the interpreter path) and the path it was found at, exactly as {@code ld.so --list}
 * prints it (which may run through symlinks and contain {@code ..}).
 */
public record LoadedLibrary(String name, String path) {
  public LoadedLibrary {
    if (name == null || name.isEmpty() || name.indexOf('\0') >= 0 || ManifestPaths.hasLoneSurrogate(name)) {
      throw new IllegalArgumentException("library name must be non-empty without NUL, got " + name);
    }
    if (path == null || !path.startsWith("/") || path.indexOf('\0') >= 0 || path.length() > ManifestPaths.MAX_PATH
        || ManifestPaths.hasLoneSurrogate(path)) {
      throw new IllegalArgumentException("library path must be absolute, got " + path);
    }
  }
}
