package org.closurecache.core.resolve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.core.elf.ElfClass;
import org.closurecache.core.elf.ElfFile;
import org.closurecache.core.elf.ElfReader;

/**
 * Finds a program's shared libraries the way glibc's {@code ld.so} does, reading ELF headers and
 * {@code ld.so.cache} in Java; nothing is executed.
 *
 * <p>For each DT_NEEDED name, breadth-first from the root, like {@code _dl_map_object}: a name
 * already loaded (by path, requested name or SONAME) is reused; a name with a slash is opened as
 * is; otherwise the search runs: DT_RPATH of the requesting object and of its loader chain (only
 * when the requester has no DT_RUNPATH), {@code LD_LIBRARY_PATH}, the requester's DT_RUNPATH,
 * {@code ld.so.cache}, then the default directories (under DF_1_NODEFLIB cache entries in
 * default directories are refused and the default directories skipped).
 * Under every directory the loader's hwcaps subdirectories are tried first ({@link
 * LoaderProfile#subdirs}); {@code $ORIGIN}, {@code $LIB} and {@code $PLATFORM} are expanded.
 * Candidates of the wrong ELF class or machine are skipped; a file already loaded under another
 * path (same device and inode) is the same object.
 *
 * <p>Thread-safe: the resolver only caches ELF headers (files are taken not to change while it
 * is used); each {@link Session} is confined to one thread.
 */
public final class LibraryResolver {
  private final LoaderProfile profile;
  private final LdSoCache cache;
  // ELF headers by path: a resolver serves one capture, during which files are taken as fixed.
  private final Map<String, ElfFile> elfByPath = new ConcurrentHashMap<>();

  public LibraryResolver(LoaderProfile profile, LdSoCache cache) {
    this.profile = profile;
    this.cache = cache;
  }

  public LoaderProfile profile() {
    return profile;
  }

  /**
   * Resolves {@code program} (an absolute path; the real path of the executable, since the kernel
   * gives the loader {@code /proc/self/exe} for {@code $ORIGIN}).
   *
   * @param ldLibraryPath the recorded {@code LD_LIBRARY_PATH} elements, in order
   * @param cwd the working directory relative names and empty path elements are taken against
   */
  public Session open(String program, List<String> ldLibraryPath, String cwd) throws IOException {
    return new Session(program, ldLibraryPath, cwd);
  }

  /** One emulated process: the link map grows as objects are loaded. Not thread-safe. */
  public final class Session {
    private final List<LoadedObject> loaded = new ArrayList<>();
    private final List<LoadedObject> order = new ArrayList<>();
    private final Set<LoadedObject> ordered = new HashSet<>();
    private final LoadedObject root;
    private final LoadedObject rtld;
    private final List<String> ldLibraryPath;
    private final String cwd;

    private Session(String program, List<String> ldLibraryPath, String cwd) throws IOException {
      this.cwd = cwd;
      ElfFile elf = readElf(program);
      requireLoadable(elf, program);
      if (elf.machine() != profile.machine()) {
        throw new IOException(program + " is built for ELF machine " + elf.machine()
            + " but this host's loader " + profile.interpreter() + " loads machine " + profile.machine()
            + "; capture it on a host of its own architecture");
      }
      root = new LoadedObject(program, program, elf, null, fileKey(program));
      loaded.add(root);
      String interp = elf.interpreter().orElse(elf.dynamic() ? profile.interpreter() : null);
      if (interp != null) {
        ElfFile interpElf = readElf(interp);
        rtld = new LoadedObject(interp, interp, interpElf, null, fileKey(interp));
        loaded.add(rtld);
      } else {
        rtld = null;
      }
      // LD_LIBRARY_PATH's DSTs expand against the main program.
      List<String> llp = new ArrayList<>();
      for (String element : ldLibraryPath) {
        llp.add(expand(element, root));
      }
      this.ldLibraryPath = llp;
      loadDependencies(root);
    }

    /** What the program loads at start-up. */
    public Resolution resolution() {
      return new Resolution(root, order, rtld);
    }

    /**
     * Loads {@code path} as if the program {@code dlopen}ed it, with its dependencies, and
     * answers the objects this added to the link map.
     */
    public List<LoadedObject> dlopen(String path) throws IOException {
      int before = order.size();
      LoadedObject object = load(path, root);
      place(object);
      loadDependencies(object);
      return List.copyOf(order.subList(before, order.size()));
    }

    private void loadDependencies(LoadedObject start) throws IOException {
      Deque<LoadedObject> queue = new ArrayDeque<>();
      queue.add(start);
      Set<LoadedObject> visited = new HashSet<>();
      visited.add(start);
      while (!queue.isEmpty()) {
        LoadedObject object = queue.poll();
        for (String name : object.needed()) {
          LoadedObject dep = load(name, object);
          if (dep != root) {
            place(dep);
          }
          if (visited.add(dep)) {
            queue.add(dep);
          }
        }
      }
      if (start == root && rtld != null) {
        // nobody asked for the loader by name: glibc keeps it at the end of the link map
        place(rtld);
      }
    }

    private LoadedObject load(String name, LoadedObject requester) throws IOException {
      for (LoadedObject l : loaded) {
        if (l.answersTo(name)) {
          return l;
        }
      }
      List<String> tried = new ArrayList<>();
      Optional<Candidate> found = name.indexOf('/') >= 0
          ? verify(expand(name, requester), tried, "path")
          : search(name, requester, tried);
      if (found.isEmpty()) {
        throw new MissingLibraryException(name, requester.path(), tried);
      }
      Candidate c = found.get();
      for (LoadedObject l : loaded) {
        if (l.fileKey().equals(c.fileKey)) {
          l.addName(name);
          return l;
        }
      }
      LoadedObject object = new LoadedObject(name.indexOf('/') >= 0 ? name : c.path, name, c.elf, requester, c.fileKey);
      loaded.add(object);
      return object;
    }

    /** Appends to the link map once; LoadedObject has identity equality. */
    private void place(LoadedObject object) {
      if (ordered.add(object)) {
        order.add(object);
      }
    }

    private Optional<Candidate> search(String name, LoadedObject requester, List<String> tried)
        throws IOException {
      Optional<Candidate> c;
      if (requester.elf().runpath().isEmpty()) {
        for (LoadedObject l = requester; l != null; l = l.loader().orElse(null)) {
          if (l.effectiveRpath().isPresent()) {
            c = searchDirs(name, split(l.effectiveRpath().get(), l), "RPATH of " + l.path(), tried);
            if (c.isPresent()) {
              return c;
            }
          }
        }
      }
      c = searchDirs(name, normaliseDirs(ldLibraryPath), "LD_LIBRARY_PATH", tried);
      if (c.isPresent()) {
        return c;
      }
      if (requester.elf().runpath().isPresent()) {
        c = searchDirs(name, split(requester.elf().runpath().get(), requester), "RUNPATH of " + requester.path(), tried);
        if (c.isPresent()) {
          return c;
        }
      }
      boolean nodeflib = requester.elf().noDefaultLib();
      Optional<String> cached = cache.lookup(name, profile.cacheFlags(), profile.hwcapsByPriority());
      if (cached.isPresent() && nodeflib && inSystemDir(cached.get())) {
        // glibc still asks the cache under DF_1_NODEFLIB but refuses entries in default directories
        tried.add(cached.get() + " (ld.so.cache: refused, " + requester.path() + " has DF_1_NODEFLIB)");
      } else if (cached.isPresent()) {
        c = verify(cached.get(), tried, "ld.so.cache");
        if (c.isPresent()) {
          return c;
        }
      } else {
        tried.add("ld.so.cache (no entry)");
      }
      if (nodeflib) {
        tried.add("(default directories skipped: " + requester.path() + " has DF_1_NODEFLIB)");
        return Optional.empty();
      }
      return searchDirs(name, normaliseDirs(profile.systemDirs()), "default directories", tried);
    }

    private boolean inSystemDir(String path) {
      for (String dir : normaliseDirs(profile.systemDirs())) {
        if (path.startsWith(dir)) {
          return true;
        }
      }
      return false;
    }

    private Optional<Candidate> searchDirs(String name, List<String> dirs, String source, List<String> tried)
        throws IOException {
      for (String dir : dirs) {
        tried.add(dir + " (" + source + ")");
        for (String sub : profile.subdirs()) {
          Optional<Candidate> c = verify(dir + sub + name, null, source);
          if (c.isPresent()) {
            return c;
          }
        }
      }
      return Optional.empty();
    }

    /**
     * glibc's {@code open_verify}: a readable ELF file of our class and machine, else skipped.
     * Missing files are noted in {@code tried} only when it is given (single-path lookups);
     * directory searches note the directory instead.
     */
    private Optional<Candidate> verify(String path, List<String> tried, String source) throws IOException {
      Path p = Path.of(resolveAgainstCwd(path));
      if (!Files.isRegularFile(p)) {
        if (tried != null) {
          tried.add(path + " (" + source + ")");
        }
        return Optional.empty();
      }
      ElfFile elf;
      try {
        elf = readElf(p.toString());
      } catch (NoSuchFileException e) {
        return Optional.empty();
      } catch (IOException e) {
        note(tried, path + " (" + source + ": skipped, not a loadable ELF file: " + e.getMessage() + ")");
        return Optional.empty();
      }
      if (elf.machine() != profile.machine() || elf.elfClass() != rootClass()) {
        note(tried, path + " (" + source + ": skipped, wrong ELF class or machine)");
        return Optional.empty();
      }
      return Optional.of(new Candidate(path, elf, fileKey(path)));
    }

    private void note(List<String> tried, String what) {
      if (tried != null) {
        tried.add(what);
      }
    }

    private ElfClass rootClass() {
      return root.elf().elfClass();
    }

    /** Splits a DT_RPATH/DT_RUNPATH string and expands its DSTs against {@code owner}. */
    private List<String> split(String pathList, LoadedObject owner) {
      List<String> out = new ArrayList<>();
      for (String element : pathList.split(":", -1)) {
        out.add(expand(element, owner));
      }
      return normaliseDirs(out);
    }

    /** glibc's {@code fillin_rpath}: drop trailing slashes, add one; an empty element is "./". */
    private List<String> normaliseDirs(List<String> dirs) {
      List<String> out = new ArrayList<>();
      for (String d : dirs) {
        String s = d;
        while (s.length() > 1 && s.endsWith("/")) {
          s = s.substring(0, s.length() - 1);
        }
        out.add(s.isEmpty() ? "./" : s.equals("/") ? "/" : s + "/");
      }
      return out;
    }

    private String expand(String s, LoadedObject owner) {
      if (s.indexOf('$') < 0) {
        return s;
      }
      Matcher m = DST.matcher(s);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String dst = m.group(1) != null ? m.group(1) : m.group(2);
        String value = switch (dst) {
          case "ORIGIN" -> owner.origin();
          case "LIB" -> profile.libDst();
          default -> profile.platformDst();
        };
        m.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      m.appendTail(out);
      return out.toString();
    }

    private String resolveAgainstCwd(String path) {
      return path.startsWith("/") ? path : cwd + "/" + path;
    }

    private Object fileKey(String path) throws IOException {
      Path p = Path.of(resolveAgainstCwd(path));
      return List.of(Files.getAttribute(p, "unix:dev"), Files.getAttribute(p, "unix:ino"));
    }
  }

  private ElfFile readElf(String path) throws IOException {
    ElfFile known = elfByPath.get(path);
    if (known == null) {
      known = ElfReader.read(Path.of(path));
      elfByPath.put(path, known);
    }
    return known;
  }

  private static void requireLoadable(ElfFile elf, String program) throws IOException {
    if (elf.type() != 2 && elf.type() != 3) {
      throw new IOException(program + " is an ELF file of type " + elf.type() + ", not an executable or shared object");
    }
  }

  /** A dynamic string token: {@code $NAME} not followed by a name character, or {@code ${NAME}}. */
  private static final Pattern DST =
      Pattern.compile("\\$(?:\\{(ORIGIN|LIB|PLATFORM)\\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))");

  private record Candidate(String path, ElfFile elf, Object fileKey) {}
}
