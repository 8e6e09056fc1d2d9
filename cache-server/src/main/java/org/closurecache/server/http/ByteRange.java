package org.closurecache.server.http;

/**
 * One byte range of a {@code Range} header against an object of known size (RFC 9110 §14.1).
 * {@link #parse} answers null when the header is absent, malformed, not in bytes, or asks for
 * several ranges: the whole object is then the right answer.
 */
record ByteRange(long start, long end, boolean satisfiable) {
  static ByteRange parse(String header, long size) {
    if (header == null || !header.startsWith("bytes=")) {
      return null;
    }
    String spec = header.substring(6).strip();
    if (spec.indexOf(',') >= 0) {
      return null;
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    String first = spec.substring(0, dash).strip();
    String last = spec.substring(dash + 1).strip();
    try {
      if (first.isEmpty()) {
        if (last.isEmpty()) {
          return null;
        }
        long suffix = Long.parseLong(last);
        if (suffix < 0) {
          return null;
        }
        if (suffix == 0 || size == 0) {
          return new ByteRange(0, -1, false);
        }
        return new ByteRange(Math.max(0, size - suffix), size - 1, true);
      }
      long start = Long.parseLong(first);
      long end = last.isEmpty() ? Long.MAX_VALUE : Long.parseLong(last);
      if (start < 0 || end < start) {
        return null;
      }
      if (start >= size) {
        return new ByteRange(start, end, false);
      }
      return new ByteRange(start, Math.min(end, size - 1), true);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
