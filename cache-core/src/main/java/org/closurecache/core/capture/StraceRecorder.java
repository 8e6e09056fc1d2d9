package org.closurecache.core.capture;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs a program once under {@code strace -f} and reports every path it successfully opened for
 * reading, looked up ({@code stat}, {@code access}, {@code readlink}: Python checks a module's
 * source next to its cached bytecode, and that its {@code lib-dynload} directory exists) or
 * executed: what {@code dlopen}, interpreters importing modules, and programs spawning others
 * use, which ELF headers cannot show. Paths may name directories as well as files; the caller
 * tells them apart. It also reports what the run made or changed ({@link TracedFile.Use#WRITTEN}:
 * opens with a write flag, {@code O_CREAT} or {@code O_TRUNC}, {@code creat}, {@code truncate},
 * {@code mkdir}, {@code mknod}, the new name of a {@code rename}, {@code link} or {@code
 * symlink}), so a caller can leave the run's own output out even when the run read it back; and
 * which files the process strace started executed itself ({@link Recording#entryProcessExecs}:
 * the program, what its {@code #!} line or {@code env} ran, what it {@code exec}ed into), as
 * opposed to its children.
 *
 * <p>strace writes one trace per process ({@code -ff}), so lines never interleave; {@code -z}
 * keeps successful calls only; {@code -y} prints the working directory behind {@code AT_FDCWD},
 * so relative names resolve against the directory the process really had. The process strace
 * started is the one whose pid no traced {@code clone}, {@code fork} or {@code vfork} returned.
 * The program reads the stdin it is given (the
 * caller's, so {@code python3 - < job.py} records what {@code job.py} imports; {@code /dev/null}
 * by default); its stdout and stderr go to this process's stderr so a caller's stdout stays clean.
 * Thread-safe (no state).
 */
public final class StraceRecorder {
  // Quoted strings and fd paths are matched possessively, run by run: a hostile 100 kB name must
  // neither backtrack nor recurse once per character (java.util.regex overflows its stack).
  private static final String QUOTED = "\"((?:[^\"\\\\]++|\\\\.)*+)\"(\\.\\.\\.)?";
  private static final String DIRFD = "(?:(?:AT_FDCWD|\\d+)<((?:[^>\\\\]++|\\\\.)*+)>, )?";
  // strace pads short lines with spaces before " = ": "access(\"/x\", R_OK)           = 0".
  private static final Pattern OPEN = Pattern.compile(
      "^(open|openat|openat2)\\(" + DIRFD + QUOTED + ", (?:\\{flags=)?([^,)}]*).*\\) *+= \\d+.*$");
  /** Successful look-ups: a file the program checked for (Python stats each module's source). */
  private static final Pattern LOOKUP = Pattern.compile(
      "^(?:stat|lstat|newfstatat|statx|access|faccessat|faccessat2|readlink|readlinkat)\\(" + DIRFD
          + "\"((?:[^\"\\\\]++|\\\\.)++)\"(\\.\\.\\.)?, .*\\) *+= \\d+.*$");
  private static final Pattern EXEC = Pattern.compile(
      "^(execve|execveat)\\(" + DIRFD + QUOTED + ", .*\\) *+= 0$");
  /** Names a successful call made: its first path ({@code mkdirat}, {@code mknodat}: after the directory). */
  private static final Pattern CREATE = Pattern.compile(
      "^(?:creat|mkdir|mkdirat|mknod|mknodat|truncate)\\(" + DIRFD + QUOTED + "(?:, .*)?\\) *+= \\d+.*$");
  /** The new name of a rename or hard link: the second path. */
  private static final Pattern MOVE = Pattern.compile(
      "^(?:rename|renameat|renameat2|link|linkat)\\(" + DIRFD + QUOTED + ", " + DIRFD + QUOTED
          + "(?:, .*)?\\) *+= 0$");
  /** A symlink made: the link, after the target. */
  private static final Pattern SYMLINK = Pattern.compile(
      "^(?:symlink|symlinkat)\\(" + QUOTED + ", " + DIRFD + QUOTED + "\\) *+= 0$");
  /** A child process or thread made: its pid. */
  private static final Pattern CHILD = Pattern.compile("^(?:clone|clone3|fork|vfork)\\(.*\\) *+= (\\d{1,10})$");
  private static final Pattern CWD = Pattern.compile("AT_FDCWD<((?:[^>\\\\]++|\\\\.)*+)>");
  private static final Pattern TRACE_NAME = Pattern.compile("t\\.(\\d{1,10})");

  private final String strace;
  private final long timeoutSeconds;
  private final ProcessBuilder.Redirect stdin;

  /** A recorder whose runs read {@code /dev/null}. */
  public StraceRecorder(String strace, long timeoutSeconds) {
    this(strace, timeoutSeconds, ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
  }

  /**
   * @param stdin what the recorded program reads: {@link ProcessBuilder.Redirect#INHERIT} gives it
   *     this process's stdin (a command line's caller's), {@code Redirect.from(file)} a file
   */
  public StraceRecorder(String strace, long timeoutSeconds, ProcessBuilder.Redirect stdin) {
    if (stdin.type() == ProcessBuilder.Redirect.Type.WRITE || stdin.type() == ProcessBuilder.Redirect.Type.APPEND) {
      throw new IllegalArgumentException("stdin " + stdin + " is an output redirect");
    }
    this.strace = strace;
    this.timeoutSeconds = timeoutSeconds;
    this.stdin = stdin;
  }

  /**
   * The result of one recording run.
   *
   * @param files what every process used, without repeats
   * @param entryProcessExecs the paths the process strace started passed to {@code execve}, in
   *     order (the program first); empty when that process could not be told apart
   */
  public record Recording(List<TracedFile> files, List<String> entryProcessExecs, int exitStatus) {
    public Recording {
      files = List.copyOf(files);
      entryProcessExecs = List.copyOf(entryProcessExecs);
    }
  }

  /** What one process's trace shows: the paths it used, and the pids of the children it made. */
  record ProcessTrace(List<TracedFile> files, Set<Long> children) {}

  public Recording record(List<String> argv, Map<String, String> env, Path cwd, Path scratch)
      throws IOException {
    Path traceDir = Files.createTempDirectory(scratch, "strace-");
    try {
      List<String> command = new ArrayList<>(List.of(
          strace, "-f", "-ff", "-qq", "-z", "-y", "-s", "8192",
          "-e", "trace=open,openat,openat2,execve,execveat,stat,lstat,newfstatat,statx,access,"
              + "faccessat,faccessat2,readlink,readlinkat,creat,mkdir,mkdirat,mknod,mknodat,truncate,"
              + "rename,renameat,renameat2,link,linkat,symlink,symlinkat,clone,clone3,fork,vfork",
          "-o", traceDir.resolve("t").toString(), "--"));
      command.addAll(argv);
      ProcessBuilder pb = new ProcessBuilder(command)
          .directory(cwd.toFile())
          .redirectInput(stdin)
          .redirectOutput(ProcessBuilder.Redirect.PIPE)
          .redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().clear();
      pb.environment().putAll(env);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new IOException("cannot start " + strace + " for the recording run (is strace installed? "
            + "apt-get install strace): " + e.getMessage(), e);
      }
      // The program's stdout goes to our stderr: a caller's stdout (a manifest, a digest) stays clean.
      Thread relay = new Thread(() -> {
        try (java.io.InputStream out = p.getInputStream()) {
          out.transferTo(System.err);
        } catch (IOException e) {
          // the program's output is informational; losing the rest of it must not fail the capture
        }
      }, "recording-stdout");
      relay.setDaemon(true);
      relay.start();
      int status = waitFor(p, argv);
      try {
        relay.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Set<TracedFile> files = new LinkedHashSet<>();
      List<Path> traces;
      try (Stream<Path> s = Files.list(traceDir)) {
        traces = s.sorted().toList();
      }
      if (traces.isEmpty()) {
        throw new IOException(strace + " produced no trace for " + argv.get(0)
            + " (exit status " + status + "); is ptrace allowed here?");
      }
      Map<Long, List<TracedFile>> byPid = new HashMap<>();
      Set<Long> children = new HashSet<>();
      for (Path trace : traces) {
        // strace escapes every byte outside printable ASCII; decode leniently all the same, so one
        // odd byte cannot fail the whole recording
        String text = new String(Files.readAllBytes(trace), StandardCharsets.UTF_8);
        ProcessTrace process = parseProcess(text.lines().toList(), cwd.toString());
        files.addAll(process.files());
        children.addAll(process.children());
        Matcher name = TRACE_NAME.matcher(trace.getFileName().toString());
        if (name.matches()) {
          byPid.put(Long.parseLong(name.group(1)), process.files());
        }
      }
      return new Recording(List.copyOf(files), entryProcessExecs(byPid, children), status);
    } finally {
      deleteTree(traceDir);
    }
  }

  /** What the one process no other made executed; nothing when there is not exactly one such. */
  private static List<String> entryProcessExecs(Map<Long, List<TracedFile>> byPid, Set<Long> children) {
    Set<Long> roots = new HashSet<>(byPid.keySet());
    roots.removeAll(children);
    List<String> out = new ArrayList<>();
    if (roots.size() == 1) {
      for (TracedFile f : byPid.get(roots.iterator().next())) {
        if (f.use() == TracedFile.Use.EXECUTED) {
          out.add(f.requested());
        }
      }
    }
    return out;
  }

  /**
   * Parses one process's trace; {@code initialCwd} places relative names met before strace
   * printed any working directory. Never throws on malformed lines: they are skipped.
   */
  static List<TracedFile> parse(List<String> lines, String initialCwd) {
    return parseProcess(lines, initialCwd).files();
  }

  /** {@link #parse}, plus the pids of the children the process made. */
  static ProcessTrace parseProcess(List<String> lines, String initialCwd) {
    List<TracedFile> out = new ArrayList<>();
    Set<Long> children = new HashSet<>();
    String cwd = initialCwd;
    boolean cwdSeen = false;
    List<String> awaitingCwd = new ArrayList<>();
    for (String line : lines) {
      try {
        Matcher c = CWD.matcher(line);
        if (c.find()) {
          cwd = unescape(c.group(1));
          cwdSeen = true;
          // execve keeps the working directory, and execve lines print none: a relative name
          // was found in the directory the new image first reports (-z hides failed execs)
          for (String exec : awaitingCwd) {
            out.add(TracedFile.executed(join(cwd, exec)));
          }
          awaitingCwd.clear();
        }
        Matcher o = OPEN.matcher(line);
        if (o.matches()) {
          String flags = o.group(5);
          if (o.group(4) != null || flags.contains("O_TMPFILE")) {
            continue;  // a truncated name; an unnamed file (a later linkat names it)
          }
          String path = join(o.group(2) != null ? unescape(o.group(2)) : cwd, unescape(o.group(3)));
          boolean writes = !flags.startsWith("O_RDONLY") || flags.contains("O_CREAT") || flags.contains("O_TRUNC");
          out.add(writes ? TracedFile.written(path) : TracedFile.read(path));
          continue;
        }
        Matcher made = CREATE.matcher(line);
        if (made.matches()) {
          if (made.group(3) == null) {
            out.add(TracedFile.written(join(made.group(1) != null ? unescape(made.group(1)) : cwd,
                unescape(made.group(2)))));
          }
          continue;
        }
        Matcher moved = MOVE.matcher(line);
        if (moved.matches()) {
          if (moved.group(6) == null) {
            out.add(TracedFile.written(join(moved.group(4) != null ? unescape(moved.group(4)) : cwd,
                unescape(moved.group(5)))));
          }
          continue;
        }
        Matcher linked = SYMLINK.matcher(line);
        if (linked.matches()) {
          if (linked.group(5) == null) {
            out.add(TracedFile.written(join(linked.group(3) != null ? unescape(linked.group(3)) : cwd,
                unescape(linked.group(4)))));
          }
          continue;
        }
        Matcher child = CHILD.matcher(line);
        if (child.matches()) {
          children.add(Long.parseLong(child.group(1)));
          continue;
        }
        Matcher l = LOOKUP.matcher(line);
        if (l.matches()) {
          if (l.group(3) == null) {
            String base = l.group(1) != null ? unescape(l.group(1)) : cwd;
            out.add(TracedFile.read(join(base, unescape(l.group(2)))));
          }
          continue;
        }
        Matcher e = EXEC.matcher(line);
        if (e.matches() && e.group(4) == null) {
          String name = unescape(e.group(3));
          if (name.startsWith("/") || e.group(2) != null) {
            out.add(TracedFile.executed(join(e.group(2) != null ? unescape(e.group(2)) : cwd, name)));
          } else {
            awaitingCwd.add(name);
          }
        }
      } catch (RuntimeException | StackOverflowError malformed) {
        // a line no strace writes: not evidence of anything
      }
    }
    // no working directory printed after the exec: the last one known is the best guess
    for (String exec : awaitingCwd) {
      out.add(TracedFile.executed(join(cwd, exec)));
    }
    return new ProcessTrace(out, children);
  }

  private static String join(String cwd, String name) {
    if (name.startsWith("/")) {
      return name;
    }
    return cwd.endsWith("/") ? cwd + name : cwd + "/" + name;
  }

  /**
   * Undoes strace's C-style string escapes ({@code \xNN}, octal {@code \NNN}, {@code \n} and
   * friends, {@code \"}, {@code \\}); the bytes are decoded as UTF-8. Text that is not an escape
   * (including characters beyond ASCII) is kept as it is; a malformed escape is kept literally.
   */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      if (cp != '\\' || i + 1 >= s.length()) {
        bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
        continue;
      }
      char n = s.charAt(i + 1);
      int simple = switch (n) {
        case 'n' -> '\n';
        case 't' -> '\t';
        case 'r' -> '\r';
        case 'v' -> 0x0b;
        case 'f' -> '\f';
        case 'a' -> 0x07;
        case 'b' -> '\b';
        case '\\', '"', '\'', '?' -> n;
        default -> -1;
      };
      if (simple >= 0) {
        bytes.write(simple);
        i += 2;
      } else if (n == 'x' && i + 2 < s.length() && hex(s.charAt(i + 2)) >= 0) {
        int end = i + 3 < s.length() && hex(s.charAt(i + 3)) >= 0 ? i + 4 : i + 3;
        bytes.write(Integer.parseInt(s.substring(i + 2, end), 16));
        i = end;
      } else if (n >= '0' && n <= '7') {
        int end = i + 1;
        while (end < s.length() && end < i + 4 && s.charAt(end) >= '0' && s.charAt(end) <= '7') {
          end++;
        }
        bytes.write(Integer.parseInt(s.substring(i + 1, end), 8) & 0xff);
        i = end;
      } else {
        bytes.write('\\');  // not an escape strace writes: keep it as it stands
        i += 1;
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    return Character.digit(c, 16) >= 0 && c < 128 ? Character.digit(c, 16) : -1;
  }

  private int waitFor(Process p, List<String> argv) throws IOException {
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IOException("the recording run of " + argv.get(0) + " did not finish within "
            + timeoutSeconds + " s; it was killed");
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted during the recording run", e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
