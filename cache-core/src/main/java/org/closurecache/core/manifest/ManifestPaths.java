package org.closurecache.core.manifest;

import java.nio.charset.StandardCharsets;

/**
 * Rules for the absolute paths a manifest may name. A path that breaks them could make a node
 * write outside its cache, so they are checked before anything else is looked at.
 */
public final class ManifestPaths {
  /** Linux PATH_MAX. */
  public static final int MAX_PATH = 4096;
  /** Linux NAME_MAX, in bytes. */
  public static final int MAX_COMPONENT_BYTES = 255;

  private ManifestPaths() {}

  /** Absolute and without NUL, but may contain {@code ..} (symlink targets, loader paths). */
  static void requireAbsolute(String path, String what) {
    if (path == null || !path.startsWith("/") || path.indexOf('\0') >= 0 || path.length() > MAX_PATH) {
      throw new IllegalArgumentException(what + " must be an absolute path without NUL, got " + show(path));
    }
    requireNoLoneSurrogate(path, what);
  }

  /**
   * Absolute, normalised (no empty, {@code .} or {@code ..} components, no trailing slash), not
   * the root itself, no NUL, components of at most 255 bytes.
   */
  public static void requireNormalAbsolute(String path, String what) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    if (path.charAt(0) != '/') {
      throw new IllegalArgumentException(what + " must be absolute: " + show(path));
    }
    if (path.length() > MAX_PATH) {
      throw new IllegalArgumentException(what + " is longer than " + MAX_PATH + " characters");
    }
    if (path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " contains a NUL byte: " + show(path));
    }
    requireNoLoneSurrogate(path, what);
    if (path.equals("/")) {
      throw new IllegalArgumentException(what + " must name something below /, not / itself");
    }
    if (path.endsWith("/")) {
      throw new IllegalArgumentException(what + " must not end with '/': " + show(path));
    }
    for (String component : path.substring(1).split("/", -1)) {
      if (component.isEmpty()) {
        throw new IllegalArgumentException(what + " contains '//': " + show(path));
      }
      if (component.equals(".") || component.equals("..")) {
        throw new IllegalArgumentException(what + " is not normalised ('" + component + "' component): " + show(path));
      }
      if (component.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
        throw new IllegalArgumentException(what + " has a component over 255 bytes: " + show(path));
      }
    }
  }

  /** A symlink target: non-empty, no NUL, at most PATH_MAX; relative or absolute. */
  public static void requireLinkTarget(String target, String what) {
    if (target == null || target.isEmpty() || target.indexOf('\0') >= 0 || target.length() > MAX_PATH) {
      throw new IllegalArgumentException(what + " must be a non-empty link target without NUL, got " + show(target));
    }
    requireNoLoneSurrogate(target, what);
  }

  /**
   * True if {@code s} holds a UTF-16 surrogate that is not half of a pair: such a string has no
   * UTF-8 form, so a manifest holding one could be built but never written.
   */
  static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static void requireNoLoneSurrogate(String path, String what) {
    if (hasLoneSurrogate(path)) {
      throw new IllegalArgumentException(
          what + " contains a lone UTF-16 surrogate, which has no UTF-8 form: " + show(path));
    }
  }

  /** The parent of a normalised absolute path; "/" for top-level names. */
  public static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  static String show(String path) {
    if (path == null) {
      return "null";
    }
    String shown = path.length() > 200 ? path.substring(0, 200) + "…" : path;
    return '"' + shown.replace("\0", "\\0") + '"';
  }
}
