package org.closurecache.core.manifest;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

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
    }
    env = Collections.unmodifiableSortedMap(new TreeMap<>(env));
    ManifestPaths.requireAbsolute(cwd, "launch cwd");
  }
}
