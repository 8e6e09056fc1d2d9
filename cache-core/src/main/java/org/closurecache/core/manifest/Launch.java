package org.closurecache.core.manifest;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;

/**
 * How the job was started on the publishing host: argument vector (argv[0] included), the
 * environment after secrets were dropped, and the working directory. Immutable.
 */
public record Launch(List<String> argv, SortedMap<String, String> env, String cwd) {
  public Launch {
    if (argv == null || argv.isEmpty()) {
      throw new IllegalArgumentException("argv must hold at least argv[0]");
    }
    argv = List.copyOf(argv);
    for (String a : argv) {
      if (a.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("argv elements must not contain NUL");
      }
      if (ManifestPaths.hasLoneSurrogate(a)) {
        throw new IllegalArgumentException("argv element " + ManifestPaths.show(a)
            + " contains a lone UTF-16 surrogate, which has no UTF-8 form");
      }
    }
    if (env == null) {
      throw new IllegalArgumentException("env must not be null");
    }
    for (var e : env.entrySet()) {
      String name = e.getKey();
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("bad environment variable name \"" + name + "\"");
      }
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException("environment variable " + name + " has a NUL or null value");
      }
      if (ManifestPaths.hasLoneSurrogate(name) || ManifestPaths.hasLoneSurrogate(e.getValue())) {
        throw new IllegalArgumentException("environment variable " + ManifestPaths.show(name)
            + " contains a lone UTF-16 surrogate, which has no UTF-8 form");
      }
    }
    env = Collections.unmodifiableSortedMap(Manifest.naturalOrder(env));
    ManifestPaths.requireAbsolute(cwd, "launch cwd");
  }
}
