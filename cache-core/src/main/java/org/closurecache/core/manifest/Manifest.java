package org.closurecache.core.manifest;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.closurecache.core.digest.Digest;

/**
 * What one job needs and how to start it: the closure of files at their original absolute paths,
 * the symlinks that lead to them, the directories the job looked at that hold none of those files
 * (Python checks that {@code lib-dynload} exists), the libraries in the order the dynamic loader
 * loads them, and the recorded launch. Immutable; validated on construction so a {@code Manifest}
 * that exists is safe to act on.
 *
 * <p>Invariants checked here:
 *
 * <ul>
 *   <li>every key of {@code files} and {@code symlinks} is a normalised absolute path, no path is
 *       both, and no path lies under another key (keys name real locations: a file under a
 *       symlinked directory is recorded at its resolved path plus the directory symlink);
 *   <li>every one of {@code directories} is a normalised absolute path that is neither a key nor
 *       under one (it may be above keys, which is redundant but harmless);
 *   <li>the entry, the interpreter and every loaded library resolve, through the recorded
 *       symlinks, to a recorded file; the entry's digest matches that file's;
 *   <li>every {@code needed-by} names a recorded file.
 * </ul>
 *
 * <p>The wire form and digest come from {@link ManifestCodec}.
 */
public record Manifest(
    int schema,
    String platform,
    String resolver,
    EntryPoint entry,
    Optional<String> interpreter,
    List<LoadedLibrary> libraries,
    SortedMap<String, FileEntry> files,
    SortedMap<String, String> symlinks,
    SortedSet<String> directories,
    Launch launch) {

  /** The schema version this build reads and writes. */
  public static final int SCHEMA = 1;
  /** Largest closure accepted, in files plus symlinks plus directories. */
  public static final int MAX_ENTRIES = 200_000;
  private static final int MAX_LINK_HOPS = 40;

  public Manifest {
    if (schema != SCHEMA) {
      throw new IllegalArgumentException(
          "unsupported manifest schema " + schema + "; this build reads schema " + SCHEMA
              + " (upgrade closure-cache to read newer manifests)");
    }
    requireText(platform, "platform");
    requireText(resolver, "resolver");
    if (entry == null || interpreter == null || libraries == null || files == null
        || symlinks == null || directories == null || launch == null) {
      throw new IllegalArgumentException("manifest fields must not be null");
    }
    libraries = List.copyOf(libraries);
    // Copy into natural (String) order whatever the caller's comparator: lookups during
    // resolution must mean what they will mean after a round trip through the wire form.
    files = Collections.unmodifiableSortedMap(naturalOrder(files));
    symlinks = Collections.unmodifiableSortedMap(naturalOrder(symlinks));
    directories = Collections.unmodifiableSortedSet(naturalOrder(directories));
    if (files.isEmpty()) {
      throw new IllegalArgumentException("a manifest must hold at least its entry file");
    }
    long entries = (long) files.size() + symlinks.size() + directories.size();
    if (entries > MAX_ENTRIES) {
      throw new IllegalArgumentException(
          "manifest names " + entries + " paths, over the limit of " + MAX_ENTRIES);
    }
    checkKeys(files, symlinks);
    checkDirectories(directories, files, symlinks);
    checkReferences(entry, interpreter, libraries, files, symlinks);
  }

  /** A manifest without recorded directories, as every manifest was before they existed. */
  public Manifest(int schema, String platform, String resolver, EntryPoint entry, Optional<String> interpreter,
      List<LoadedLibrary> libraries, SortedMap<String, FileEntry> files, SortedMap<String, String> symlinks,
      Launch launch) {
    this(schema, platform, resolver, entry, interpreter, libraries, files, symlinks, Collections.emptySortedSet(),
        launch);
  }

  /** The recorded file that {@code path} leads to through the recorded symlinks, if any. */
  public Optional<String> resolve(String path) {
    return resolve(path, files, symlinks);
  }

  /**
   * Where {@code path} leads through the recorded symlinks, whatever is there: a directory of
   * the closure (the loader searches {@code /lib/x86_64-linux-gnu}, which is {@code
   * /usr/lib/x86_64-linux-gnu} once {@code /lib -> usr/lib} is followed). Empty when the symlinks
   * loop.
   */
  public Optional<String> resolvePath(String path) {
    return walk(path, symlinks);
  }

  private static void checkKeys(Map<String, FileEntry> files, Map<String, String> symlinks) {
    Set<String> keys = new HashSet<>();
    for (String path : files.keySet()) {
      ManifestPaths.requireNormalAbsolute(path, "file path");
      keys.add(path);
    }
    for (Map.Entry<String, String> link : symlinks.entrySet()) {
      ManifestPaths.requireNormalAbsolute(link.getKey(), "symlink path");
      ManifestPaths.requireLinkTarget(link.getValue(), "target of symlink " + link.getKey());
      if (!keys.add(link.getKey())) {
        throw new IllegalArgumentException("path " + link.getKey() + " is both a file and a symlink");
      }
    }
    for (String key : keys) {
      for (String p = ManifestPaths.parent(key); !p.equals("/"); p = ManifestPaths.parent(p)) {
        if (keys.contains(p)) {
          throw new IllegalArgumentException(
              "path " + key + " lies under " + p + ", which the manifest names as a file or symlink;"
                  + " record the resolved path instead");
        }
      }
    }
  }

  private static void checkDirectories(
      Set<String> directories, Map<String, FileEntry> files, Map<String, String> symlinks) {
    for (String dir : directories) {
      ManifestPaths.requireNormalAbsolute(dir, "directory path");
      for (String p = dir; !p.equals("/"); p = ManifestPaths.parent(p)) {
        String kind = files.containsKey(p) ? "file" : symlinks.containsKey(p) ? "symlink" : null;
        if (kind == null) {
          continue;
        }
        throw new IllegalArgumentException(p.equals(dir)
            ? "directory " + dir + " is also a " + kind + " of the manifest"
            : "directory " + dir + " lies under " + p + ", which the manifest names as a " + kind
                + "; record the resolved path instead");
      }
    }
  }

  private static void checkReferences(
      EntryPoint entry,
      Optional<String> interpreter,
      List<LoadedLibrary> libraries,
      Map<String, FileEntry> files,
      Map<String, String> symlinks) {
    String entryFile = resolve(entry.path(), files, symlinks).orElseThrow(
        () -> new IllegalArgumentException("entry path " + entry.path() + " does not lead to a file of the manifest"));
    if (!files.get(entryFile).digest().equals(entry.digest())) {
      throw new IllegalArgumentException(
          "entry digest " + entry.digest() + " differs from that of " + entryFile + ", "
              + files.get(entryFile).digest());
    }
    interpreter.ifPresent(i -> {
      ManifestPaths.requireAbsolute(i, "interpreter");
      requireResolves(i, "interpreter", files, symlinks);
    });
    Set<String> seen = new HashSet<>();
    for (LoadedLibrary lib : libraries) {
      if (!seen.add(lib.path())) {
        throw new IllegalArgumentException("library " + lib.path() + " is listed twice in the load order");
      }
      requireResolves(lib.path(), "library " + lib.name(), files, symlinks);
    }
    for (Map.Entry<String, FileEntry> e : files.entrySet()) {
      Optional<String> by = e.getValue().by();
      if (by.isPresent() && !files.containsKey(by.get())) {
        throw new IllegalArgumentException(
            "file " + e.getKey() + " is needed by " + by.get() + ", which is not a file of the manifest");
      }
    }
  }

  private static void requireResolves(
      String path, String what, Map<String, FileEntry> files, Map<String, String> symlinks) {
    if (resolve(path, files, symlinks).isEmpty()) {
      throw new IllegalArgumentException(what + " at " + path + " does not lead to a file of the manifest");
    }
  }

  /**
   * Walks {@code path} one component at a time like the kernel, following recorded symlinks
   * (at most 40), and answers the recorded file it ends on. Paths the manifest does not know
   * resolve to nothing; nothing on the local filesystem is consulted.
   */
  static Optional<String> resolve(String path, Map<String, FileEntry> files, Map<String, String> symlinks) {
    return walk(path, symlinks).filter(files::containsKey);
  }

  private static Optional<String> walk(String path, Map<String, String> symlinks) {
    Deque<String> todo = new ArrayDeque<>();
    pushComponents(todo, path);
    StringBuilder current = new StringBuilder();
    int hops = 0;
    while (!todo.isEmpty()) {
      String component = todo.pop();
      if (component.isEmpty() || component.equals(".")) {
        continue;
      }
      if (component.equals("..")) {
        int slash = current.lastIndexOf("/");
        current.setLength(Math.max(slash, 0));
        continue;
      }
      current.append('/').append(component);
      String target = symlinks.get(current.toString());
      if (target != null) {
        if (++hops > MAX_LINK_HOPS) {
          return Optional.empty();
        }
        current.setLength(current.lastIndexOf("/"));
        if (target.startsWith("/")) {
          current.setLength(0);
        }
        pushComponents(todo, target);
      }
    }
    return Optional.of(current.length() == 0 ? "/" : current.toString());
  }

  private static void pushComponents(Deque<String> todo, String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      todo.push(parts[i]);
    }
  }

  /** A copy in natural String order; {@code new TreeMap<>(sortedMap)} would keep its comparator. */
  static <V> TreeMap<String, V> naturalOrder(Map<String, V> map) {
    TreeMap<String, V> copy = new TreeMap<>();
    copy.putAll(map);
    return copy;
  }

  /** A copy in natural String order, whatever the caller's comparator. */
  private static TreeSet<String> naturalOrder(Set<String> set) {
    TreeSet<String> copy = new TreeSet<>();
    for (String s : set) {
      if (s == null) {
        throw new IllegalArgumentException("directory path must not be null");
      }
      copy.add(s);
    }
    return copy;
  }

  private static void requireText(String s, String what) {
    if (s == null || s.isBlank() || s.length() > 256 || s.indexOf('\0') >= 0
        || ManifestPaths.hasLoneSurrogate(s)) {
      throw new IllegalArgumentException(what + " must be 1 to 256 characters, got " + ManifestPaths.show(s));
    }
  }

  /** The digest of an object this manifest references, for every file (duplicates collapsed). */
  public Set<Digest> objectDigests() {
    Set<Digest> out = new TreeSet<>();
    files.values().forEach(f -> out.add(f.digest()));
    return out;
  }
}
