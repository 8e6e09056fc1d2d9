package org.closurecache.core.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.closurecache.core.digest.Descriptor;
import org.closurecache.core.digest.DigestingInputStream;
import org.closurecache.core.elf.ElfFile;
import org.closurecache.core.elf.ElfReader;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.LoadedLibrary;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestPaths;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.resolve.LibraryResolver;
import org.closurecache.core.resolve.LoadedObject;
import org.closurecache.core.resolve.Resolution;

/**
 * Captures a job's closure on the publishing host and describes it as a {@link Manifest}: the
 * entry, its interpreter and libraries in load order ({@link LibraryResolver}), explicit
 * includes (files, directories, globs), the files an optional recording run used
 * ({@link StraceRecorder}) each with its own ELF closure, the directories it looked at that hold
 * none of those files (Python checks that {@code lib-dynload} exists; only the directory itself,
 * not what is in it), every symlink on the way, and the launch (argv, working directory,
 * environment less secrets). Each file is hashed once while read, the files spread over all
 * cores. Not thread-safe: one instance per capture.
 *
 * <p>The recording run contributes only paths its {@link TraceScope} allows, and by default none
 * it wrote or made itself ({@link RunOutputs}); those are counted in {@link Capture#leftOutWritten}.
 * Every program or {@code #!} interpreter it executed that the scope leaves out, and that the
 * closure lacks, is a warning ({@link DroppedProgram}); when the process the run started executed
 * it, the capture fails with {@link ExcludedProgramException}: the job could not start.
 */
public final class ClosureCapture {
  /** Prefixes a recording run never contributes: kernel views, scratch, and personal data. */
  public static final List<String> DEFAULT_TRACE_EXCLUDE = List.of(
      "/proc", "/sys", "/dev", "/tmp", "/var/tmp", "/run", "/home", "/root",
      "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh");

  /** Largest number of nested {@code #!} interpreters Linux follows in one execve. */
  private static final int MAX_SHEBANG_DEPTH = 5;

  /**
   * What to add beyond the ELF closure.
   *
   * @param traceExclude prefixes the recording run contributes nothing from
   * @param traceInclude prefixes under those that it contributes all the same (the longest
   *     matching prefix decides, see {@link TraceScope})
   * @param traceKeepWritten keep files the recording run wrote or made itself
   */
  public record Options(List<String> includes, boolean trace, List<String> traceExclude, List<String> traceInclude,
      boolean traceKeepWritten, EnvFilter envFilter) {
    public Options {
      includes = List.copyOf(includes);
      traceExclude = List.copyOf(traceExclude);
      traceInclude = List.copyOf(traceInclude);
    }

    /** No trace includes; the run's own outputs left out. */
    public Options(List<String> includes, boolean trace, List<String> traceExclude, EnvFilter envFilter) {
      this(includes, trace, traceExclude, List.of(), false, envFilter);
    }

    public static Options defaults() {
      return new Options(List.of(), false, DEFAULT_TRACE_EXCLUDE, EnvFilter.defaults());
    }

    public TraceScope traceScope() {
      return new TraceScope(traceExclude, traceInclude);
    }
  }

  /**
   * The manifest plus what a person wants to read about it, and what was noticed on the way.
   *
   * @param leftOutWritten real paths the recording run used but had written or made itself, left
   *     out of the manifest (empty when they were kept, or without a recording run)
   */
  public record Capture(Manifest manifest, List<String> displayOrder, Map<String, String> shownAs,
      List<String> warnings, Optional<Integer> recordingExitStatus, SortedSet<String> leftOutWritten) {}

  private final LibraryResolver resolver;
  private final StraceRecorder recorder;
  private final Path scratch;
  private final PathWalker walker = new PathWalker();
  private final Map<String, Reason> reasons = new LinkedHashMap<>();
  private final Map<String, String> by = new TreeMap<>();
  private final Map<String, String> shownAs = new LinkedHashMap<>();
  private final SortedMap<String, String> symlinks = new TreeMap<>();
  /** Real paths of directories the recording run looked at, before those above keys are dropped. */
  private final Set<String> lookedAt = new TreeSet<>();
  private final List<String> warnings = new ArrayList<>();
  /** Executed programs and interpreters the trace's scope left out, checked against the manifest. */
  private final List<DroppedProgram> dropped = new ArrayList<>();
  private final SortedSet<String> leftOutWritten = new TreeSet<>();
  /** How much of the shared session's link map is already in {@link #reasons}. */
  private int sweptFromSession;

  public ClosureCapture(LibraryResolver resolver, StraceRecorder recorder, Path scratch) {
    this.resolver = resolver;
    this.recorder = recorder;
    this.scratch = scratch;
  }

  /**
   * @param program the executable's absolute path as invoked (may be a symlink)
   * @param argv the full argument vector, argv[0] included
   */
  public Capture capture(String program, List<String> argv, Map<String, String> env, String cwd, Options options)
      throws IOException {
    String entryReal = walk(program);
    add(entryReal, Reason.ENTRY, null, program.equals(entryReal) ? program : program + " -> " + entryReal);
    // A #! script runs its interpreter's link map; the script itself is only data to it.
    String loaderRoot = entryReal;
    if (!ElfReader.isElf(Path.of(entryReal))) {
      String interpreter = Shebang.interpreter(Path.of(entryReal)).orElseThrow(() -> new IOException(
          program + " is neither an ELF program nor a #! script with an absolute interpreter"));
      loaderRoot = walk(interpreter);
      add(loaderRoot, Reason.NEEDED_BY, entryReal, "#!" + interpreter);
    }
    LibraryResolver.Session session = resolver.open(loaderRoot, ldLibraryPath(env), cwd);
    Resolution resolution = session.resolution();
    List<LoadedLibrary> libraries = new ArrayList<>();
    for (LoadedObject lib : resolution.loadOrder()) {
      libraries.add(new LoadedLibrary(lib.firstName(), lib.path()));
      addLoaded(lib);
    }
    sweptFromSession = resolution.loadOrder().size();
    List<String> included = new ArrayList<>();
    for (String include : options.includes()) {
      for (String path : IncludeExpander.expand(include, cwd)) {
        included.add(walk(path));
      }
    }
    addWithClosure(included, Reason.INCLUDED, session, true, env, cwd);
    Optional<Integer> exit = Optional.empty();
    if (options.trace()) {
      exit = Optional.of(record(program, argv, env, cwd, options, session));
    }
    ElfFile entryElf = resolution.root().elf();
    Manifest manifest = new Manifest(
        Manifest.SCHEMA,
        Platforms.of(entryElf),
        "closure-cache/1 " + resolver.profile().describe(),
        new EntryPoint(program, describe(entryReal).digest().digest()),
        entryElf.interpreter(),
        libraries,
        files(),
        symlinks,
        directories(),
        new Launch(argv, options.envFilter().apply(env), cwd));
    DroppedProgram.report(dropped, manifest, warnings);
    List<String> order = new ArrayList<>(reasons.keySet());
    return new Capture(manifest, order, Map.copyOf(shownAs), List.copyOf(warnings), exit,
        Collections.unmodifiableSortedSet(new TreeSet<>(leftOutWritten)));
  }

  private int record(String program, List<String> argv, Map<String, String> env, String cwd,
      Options options, LibraryResolver.Session session) throws IOException {
    if (recorder == null) {
      throw new IllegalStateException("tracing was asked for but no recorder was configured");
    }
    List<String> command = new ArrayList<>(argv);
    command.set(0, program);
    StraceRecorder.Recording recording = recorder.record(command, env, Path.of(cwd), scratch);
    if (recording.exitStatus() != 0) {
      warnings.add("the recording run exited with status " + recording.exitStatus()
          + "; files it would have used after that point are missing");
    }
    TraceScope scope = options.traceScope();
    RunOutputs outputs = options.traceKeepWritten() ? RunOutputs.none() : RunOutputs.of(recording.files());
    Set<String> byEntryProcess = new HashSet<>(recording.entryProcessExecs());
    Set<String> seen = new LinkedHashSet<>();
    for (TracedFile traced : recording.files()) {
      if (traced.use() == TracedFile.Use.WRITTEN) {
        continue;
      }
      boolean executed = traced.use() == TracedFile.Use.EXECUTED;
      boolean entryProcess = executed && byEntryProcess.contains(traced.requested());
      Optional<String> excludedBy = scope.excludedBy(traced.requested());
      if (excludedBy.isPresent()) {
        if (executed) {
          dropped.add(new DroppedProgram(traced.requested(), excludedBy.get(), null, entryProcess));
        }
        continue;
      }
      String real;
      try {
        real = walk(traced.requested());
      } catch (IOException e) {
        continue;  // gone since the run (a temporary file): nothing to capture
      }
      excludedBy = scope.excludedBy(real);
      if (excludedBy.isPresent()) {
        if (executed) {
          dropped.add(new DroppedProgram(traced.requested(), excludedBy.get(), null, entryProcess));
        }
        continue;
      }
      if (real.equals("/")) {
        continue;
      }
      boolean directory = Files.isDirectory(Path.of(real), LinkOption.NOFOLLOW_LINKS);
      if (!directory && !Files.isRegularFile(Path.of(real), LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      if (outputs.madeByRun(traced.requested()) || outputs.madeByRun(real)) {
        leftOutWritten.add(real);
        continue;
      }
      if (directory) {
        lookedAt.add(real);
        continue;
      }
      seen.add(real);
      if (executed) {
        addInterpreters(real, scope, entryProcess, seen);
      }
    }
    addWithClosure(new ArrayList<>(seen), Reason.TRACED, session, false, env, cwd);
    return recording.exitStatus();
  }

  /**
   * The kernel, not the process, opens a script's interpreter (and that one's, when it is a script
   * too): the trace never shows them, so they are read from the {@code #!} lines.
   */
  private void addInterpreters(String executed, TraceScope scope, boolean entryProcess, Set<String> seen)
      throws IOException {
    String script = executed;
    for (int depth = 0; depth < MAX_SHEBANG_DEPTH; depth++) {
      Optional<String> interpreter = Shebang.interpreter(Path.of(script));
      if (interpreter.isEmpty() || !Files.isRegularFile(Path.of(interpreter.get()))) {
        return;  // not a script; or one that cannot run here either
      }
      Optional<String> excludedBy = scope.excludedBy(interpreter.get());
      String real = excludedBy.isPresent() ? null : walk(interpreter.get());
      if (real != null) {
        excludedBy = scope.excludedBy(real);
      }
      if (excludedBy.isPresent()) {
        dropped.add(new DroppedProgram(interpreter.get(), excludedBy.get(), script, entryProcess));
        return;
      }
      seen.add(real);
      script = real;
    }
  }

  /**
   * Adds files and, for each dynamic ELF object among them, everything it would load: shared
   * objects as if the program {@code dlopen}ed them, programs (with PT_INTERP) in link maps of
   * their own, as exec'd children. One that fails for a missing library is tried again after the
   * others, which may provide it by SONAME, as in a process that loaded one before it opened the
   * other (a JVM's {@code libattach.so} needs the {@code libjvm.so} the launcher loaded).
   */
  private void addWithClosure(List<String> reals, Reason reason, LibraryResolver.Session session,
      boolean strict, Map<String, String> env, String cwd) throws IOException {
    List<String> pending = new ArrayList<>();
    for (String real : reals) {
      add(real, reason, null, real);
      if (isDynamicElf(real)) {
        pending.add(real);
      }
    }
    Map<String, IOException> failures = new LinkedHashMap<>();
    boolean progress = true;
    while (!pending.isEmpty() && progress) {
      progress = false;
      failures.clear();
      List<String> retry = new ArrayList<>();
      for (String real : pending) {
        try {
          closureOf(real, session, env, cwd);
          progress = true;
        } catch (IOException e) {
          failures.put(real, e);
          retry.add(real);
        }
      }
      pending = retry;
    }
    for (Map.Entry<String, IOException> f : failures.entrySet()) {
      failed(f.getKey(), f.getValue(), strict);
    }
  }

  private void closureOf(String real, LibraryResolver.Session session, Map<String, String> env, String cwd)
      throws IOException {
    if (ElfReader.read(Path.of(real)).interpreter().isPresent()) {
      addLoadedExcept(resolver.open(real, ldLibraryPath(env), cwd).resolution().loadOrder(), real);
      return;
    }
    try {
      session.dlopen(real);
    } finally {
      // a failed attempt may still have loaded objects that later ones reuse: record them now
      List<LoadedObject> order = session.resolution().loadOrder();
      addLoadedExcept(order.subList(sweptFromSession, order.size()), real);
      sweptFromSession = order.size();
    }
  }

  /** The object itself keeps its own reason (traced, included); what it pulls in is needed-by. */
  private void addLoadedExcept(List<LoadedObject> objects, String root) throws IOException {
    for (LoadedObject lib : objects) {
      if (!walk(lib.path()).equals(root)) {
        addLoaded(lib);
      }
    }
  }

  private static boolean isDynamicElf(String real) {
    Path p = Path.of(real);
    try {
      return ElfReader.isElf(p) && ElfReader.read(p).dynamic();
    } catch (IOException e) {
      return false;  // unreadable or malformed: kept as a plain file
    }
  }

  private void failed(String real, IOException e, boolean strict) throws IOException {
    if (strict) {
      throw new IOException("cannot capture the closure of " + real + ": " + e.getMessage(), e);
    }
    warnings.add("closure of " + real + " not captured: " + e.getMessage());
  }

  private void addLoaded(LoadedObject lib) throws IOException {
    String real = walk(lib.path());
    String shown = lib.firstName().equals(lib.path()) ? lib.path() : lib.firstName() + " => " + lib.path();
    if (lib.loader().isEmpty()) {
      add(real, Reason.INTERPRETER, null, shown);
    } else {
      add(real, Reason.NEEDED_BY, walk(lib.loader().get().path()), shown);
    }
  }

  private void add(String real, Reason reason, String neededBy, String shown) {
    Reason old = reasons.get(real);
    if (old != null && old.ordinal() <= reason.ordinal()) {
      return;
    }
    reasons.put(real, reason);
    shownAs.put(real, shown);
    if (neededBy != null) {
      by.put(real, neededBy);
    } else {
      by.remove(real);
    }
  }

  private String walk(String path) throws IOException {
    PathWalker.Walk w = walker.walk(path);
    for (PathWalker.Link link : w.links()) {
      symlinks.put(link.path(), link.target());
    }
    return w.realPath();
  }

  /**
   * The directories looked at that would not exist in a view otherwise: one above a recorded file,
   * symlink or other such directory is made for that one anyway, so only the others are listed.
   */
  private SortedSet<String> directories() {
    Set<String> above = new HashSet<>();
    for (String key : reasons.keySet()) {
      ancestors(key, above);
    }
    for (String key : symlinks.keySet()) {
      ancestors(key, above);
    }
    for (String dir : lookedAt) {
      ancestors(dir, above);
    }
    SortedSet<String> out = new TreeSet<>(lookedAt);
    out.removeAll(above);
    return out;
  }

  private static void ancestors(String path, Set<String> into) {
    // stops early at an ancestor already there: its own ancestors are there too
    String p = ManifestPaths.parent(path);
    while (!p.equals("/") && into.add(p)) {
      p = ManifestPaths.parent(p);
    }
  }

  private SortedMap<String, FileEntry> files() throws IOException {
    hashAll(new ArrayList<>(reasons.keySet()));
    SortedMap<String, FileEntry> out = new TreeMap<>();
    for (Map.Entry<String, Reason> e : reasons.entrySet()) {
      String path = e.getKey();
      Stat s = describe(path);
      out.put(path, new FileEntry(s.digest().digest(), s.digest().size(), s.mode(), s.mtime(), e.getValue(),
          Optional.ofNullable(by.get(path))));
    }
    return out;
  }

  /** Hashes on every core: a capture reads tens to hundreds of MB, and SHA-256 is CPU-bound. */
  private void hashAll(List<String> paths) throws IOException {
    int threads = Math.min(Runtime.getRuntime().availableProcessors(), Math.max(1, paths.size()));
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "closure-hash");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<Stat>> futures = new ArrayList<>();
      for (String path : paths) {
        futures.add(pool.submit(() -> describe(path)));
      }
      for (Future<Stat> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          throw new IllegalStateException("hashing failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while hashing the closure");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private final Map<String, Stat> stats = new ConcurrentHashMap<>();

  private record Stat(Descriptor digest, int mode, long mtime) {}

  private Stat describe(String real) throws IOException {
    Stat known = stats.get(real);
    if (known != null) {
      return known;
    }
    Path p = Path.of(real);
    PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isRegularFile()) {
      throw new IOException(real + " is not a regular file; only regular files can be part of a closure");
    }
    Descriptor d;
    try (InputStream in = Files.newInputStream(p)) {
      d = DigestingInputStream.hash(in);
    }
    int mode = 0;
    for (PosixFilePermission perm : attrs.permissions()) {
      mode |= 1 << (8 - perm.ordinal());
    }
    // whole seconds as stat(1) prints them: floor, so 1.5 s before the epoch is -2, not -1
    Stat s = new Stat(d, mode, Math.floorDiv(attrs.lastModifiedTime().toMillis(), 1000L));
    stats.put(real, s);
    return s;
  }

  /** glibc splits LD_LIBRARY_PATH on ':' and ';'. */
  static List<String> ldLibraryPath(Map<String, String> env) {
    String llp = env.get("LD_LIBRARY_PATH");
    if (llp == null || llp.isEmpty()) {
      return List.of();
    }
    return Arrays.asList(llp.split("[:;]", -1));
  }
}
