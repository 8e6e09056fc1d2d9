package org.closurecache.core.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.closurecache.core.manifest.ManifestPaths;

/**
 * What a recording run made or changed ({@link TracedFile.Use#WRITTEN}): its own output, a
 * {@code .git} it created, a file it wrote and read back. Such a path, and anything under a
 * directory the run made, is not part of the program. Paths are kept as the process named them
 * and as they resolve on this host now, so a name reached through a symlink matches too.
 * Immutable after {@link #of}; thread-safe.
 */
final class RunOutputs {
  private final Set<String> paths = new HashSet<>();

  private RunOutputs() {}

  static RunOutputs of(List<TracedFile> files) {
    RunOutputs out = new RunOutputs();
    for (TracedFile f : files) {
      if (f.use() == TracedFile.Use.WRITTEN) {
        out.paths.add(normal(f.requested()));
        out.paths.add(resolved(f.requested()));
      }
    }
    return out;
  }

  static RunOutputs none() {
    return new RunOutputs();
  }

  /** Whether the run wrote {@code path}, or made a directory above it. */
  boolean madeByRun(String path) {
    for (String p = normal(path); !p.equals("/"); p = ManifestPaths.parent(p)) {
      if (paths.contains(p)) {
        return true;
      }
    }
    return false;
  }

  private static String normal(String path) {
    return Path.of(path).normalize().toString();
  }

  /** The path's real path; for one that is gone, its directory's real path and its name. */
  private static String resolved(String path) {
    Path p = Path.of(path).normalize();
    try {
      return p.toRealPath().toString();
    } catch (IOException | RuntimeException gone) {
      Path parent = p.getParent();
      if (parent == null || p.getFileName() == null) {
        return p.toString();
      }
      try {
        return parent.toRealPath().resolve(p.getFileName()).toString();
      } catch (IOException | RuntimeException alsoGone) {
        return p.toString();
      }
    }
  }
}
