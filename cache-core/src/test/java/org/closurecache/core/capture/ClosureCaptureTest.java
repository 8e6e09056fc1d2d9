package org.closurecache.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.closurecache.core.elf.ElfFile;
import org.closurecache.core.elf.ElfReader;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.LoadedLibrary;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.resolve.HostResolver;
import org.closurecache.core.resolve.LibraryResolver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on this host: real programs, the real loader's search rules, real strace. Expected
 * values come from the system itself (ld.so --list, sha256sum, stat, readlink -f).
 */
class ClosureCaptureTest {
  static final String LD_SO = "/lib64/ld-linux-x86-64.so.2";
  static final String LIBDIR = "/usr/lib/x86_64-linux-gnu";
  static final String PY = "/usr/bin/python3";
  static final String PY_REAL = "/usr/bin/python3.11";
  static final String DYNLOAD = "/usr/lib/python3.11/lib-dynload/";
  static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8");

  static LibraryResolver resolver;
  @TempDir static Path scratch;
  static ClosureCapture.Capture pythonTraced;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws IOException {
    HostResolver.Built built = HostResolver.forInterpreter(LD_SO);
    assertTrue(built.warning().isEmpty(), () -> built.warning().get());
    resolver = built.resolver();
    pythonTraced = capture(PY, List.of("python3", "-c", "import ssl, sqlite3"), ENV, "/", traced());
  }

  static ClosureCapture.Options traced() {
    return new ClosureCapture.Options(List.of(), true, ClosureCapture.DEFAULT_TRACE_EXCLUDE, EnvFilter.defaults());
  }

  static ClosureCapture.Options includes(String... includes) {
    return new ClosureCapture.Options(List.of(includes), false, ClosureCapture.DEFAULT_TRACE_EXCLUDE,
        EnvFilter.defaults());
  }

  static ClosureCapture.Capture capture(String program, List<String> argv, Map<String, String> env, String cwd,
      ClosureCapture.Options options) throws IOException {
    ClosureCapture.Capture c = new ClosureCapture(resolver, new StraceRecorder("strace", 120), scratch)
        .capture(program, argv, env, cwd, options);
    assertWellFormed(c.manifest());
    return c;
  }

  static ClosureCapture.Capture bash(String script, ClosureCapture.Options options) throws IOException {
    return capture("/bin/bash", List.of("bash", "-c", script), ENV, "/", options);
  }

  static String real(String path) {
    try {
      return Path.of(path).toRealPath().toString();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String only(Manifest m, String dir, String prefix) {
    List<String> hits = m.files().keySet().stream()
        .filter(p -> p.startsWith(dir) && p.substring(dir.length()).startsWith(prefix)).toList();
    assertEquals(1, hits.size(), () -> "files " + dir + prefix + "*: " + hits);
    return hits.get(0);
  }

  /** Invariants every capture must meet, checked against the files themselves. */
  static void assertWellFormed(Manifest m) throws IOException {
    for (Map.Entry<String, FileEntry> e : m.files().entrySet()) {
      String path = e.getKey();
      assertEquals(path, real(path), "files are keyed by real path");
      if (e.getValue().reason() == Reason.NEEDED_BY) {
        String by = e.getValue().by().orElseThrow();
        assertTrue(m.files().containsKey(by), () -> path + " needed by unknown " + by);
        if (ElfReader.isElf(Path.of(by))) {
          ElfFile requester = ElfReader.read(Path.of(by));
          ElfFile lib = ElfReader.read(Path.of(path));
          String file = Path.of(path).getFileName().toString();
          assertTrue(requester.needed().stream().anyMatch(n -> lib.soname().map(n::equals).orElse(false)
                  || n.equals(file) || real("/usr/lib/x86_64-linux-gnu/" + n).equals(path)),
              () -> path + " is said to be needed by " + by + ", whose DT_NEEDED is " + requester.needed());
        } else {
          assertEquals(Optional.of(path), Shebang.interpreter(Path.of(by)).map(ClosureCaptureTest::real),
              () -> path + " needed by non-ELF " + by + " that is no script of it");
        }
      }
    }
    for (Map.Entry<String, String> l : m.symlinks().entrySet()) {
      assertEquals(Files.readSymbolicLink(Path.of(l.getKey())).toString(), l.getValue(), l.getKey());
    }
    for (LoadedLibrary lib : m.libraries()) {
      assertEquals(Optional.of(real(lib.path())), m.resolve(lib.path()), lib::toString);
    }
    m.interpreter().ifPresent(i -> assertTrue(m.resolve(i).isPresent(), i));
    for (String dir : m.directories()) {
      assertEquals(dir, real(dir), "directories are recorded by real path");
      assertTrue(Files.isDirectory(Path.of(dir), LinkOption.NOFOLLOW_LINKS), dir);
      List<String> keys = new ArrayList<>(m.files().keySet());
      keys.addAll(m.symlinks().keySet());
      keys.addAll(m.directories());
      assertTrue(keys.stream().noneMatch(k -> k.startsWith(dir + "/")),
          () -> dir + " is above a key: the view has it anyway, so the manifest should not name it");
    }
    assertEquals(m, ManifestCodec.parse(ManifestCodec.toCanonicalBytes(m)), "round trip through the wire form");
  }

  // ---------------------------------------------------------------- python, traced

  @Test
  void capture_whenTracingPythonImports_includesSslAndSqliteModulesAndTheirLibraries() throws IOException {
    Manifest m = pythonTraced.manifest();
    String ssl = only(m, DYNLOAD, "_ssl.");
    String sqlite = only(m, DYNLOAD, "_sqlite3.");
    assertEquals(Reason.TRACED, m.files().get(ssl).reason(), "opened by the run, not in python's DT_NEEDED");
    assertEquals(Reason.TRACED, m.files().get(sqlite).reason());
    String libssl = real(LIBDIR + "/libssl.so.3");
    String libcrypto = real(LIBDIR + "/libcrypto.so.3");
    String libsqlite = real(LIBDIR + "/libsqlite3.so.0");
    assertTrue(libssl.startsWith(LIBDIR + "/") && libsqlite.startsWith(LIBDIR + "/"));
    assertEquals(Optional.of(ssl), m.files().get(libssl).by(), "libssl.so.3 is _ssl's DT_NEEDED");
    assertEquals(Reason.NEEDED_BY, m.files().get(libssl).reason());
    assertEquals(Optional.of(sqlite), m.files().get(libsqlite).by());
    assertEquals(Reason.NEEDED_BY, m.files().get(libcrypto).reason());
    for (String py : List.of("ssl.py", "socket.py", "sqlite3/__init__.py", "sqlite3/dbapi2.py", "enum.py")) {
      String path = "/usr/lib/python3.11/" + py;
      assertTrue(m.files().containsKey(path), path);
      assertEquals(Reason.TRACED, m.files().get(path).reason(), path);
    }
    assertTrue(m.files().keySet().stream().anyMatch(p -> p.startsWith("/usr/lib/python3.11/__pycache__/ssl.")),
        "cached bytecode");
    assertEquals(Optional.of(0), pythonTraced.recordingExitStatus());
    assertEquals(List.of(), pythonTraced.warnings());
  }

  @Test
  void capture_whenTracingAScriptOnStdin_runsItAndIncludesWhatItImports() throws IOException {
    Path script = tmp.resolve("job.py");
    Files.writeString(script, "import json, sqlite3\nprint(json.dumps(sqlite3.sqlite_version))\n");
    ClosureCapture.Capture c = new ClosureCapture(resolver,
        new StraceRecorder("strace", 120, ProcessBuilder.Redirect.from(script.toFile())), scratch)
        .capture(PY, List.of("python3", "-"), ENV, "/", traced());
    assertWellFormed(c.manifest());
    assertEquals(Optional.of(0), c.recordingExitStatus());
    Manifest m = c.manifest();
    assertEquals(Reason.TRACED, m.files().get("/usr/lib/python3.11/json/__init__.py").reason());
    assertEquals(Reason.TRACED, m.files().get("/usr/lib/python3.11/sqlite3/__init__.py").reason());
    String sqliteModule = only(m, DYNLOAD, "_sqlite3.");
    String libsqlite = only(m, LIBDIR + "/", "libsqlite3.so");
    assertEquals(Optional.of(sqliteModule), m.files().get(libsqlite).by());
  }

  @Test
  void capture_whenPythonOnlyChecksThatLibDynloadExists_recordsThatDirectory() throws IOException {
    // python's startup stats its exec_prefix landmark; "pass" opens no file in it, so without the
    // directory a view lacks it and python warns "Could not find platform dependent libraries"
    String dynload = real(DYNLOAD);
    ClosureCapture.Capture c = capture(PY, List.of("python3", "-c", "pass"), ENV, "/", traced());
    Manifest m = c.manifest();
    assertTrue(m.files().keySet().stream().noneMatch(p -> p.startsWith(dynload + "/")), m.files().keySet()::toString);
    assertTrue(m.directories().contains(dynload), m.directories()::toString);
    assertFalse(m.directories().contains("/usr/lib/python3.11"), "above recorded files: the view has it anyway");
    assertFalse(pythonTraced.manifest().directories().contains(dynload), "holds _ssl: the view has it anyway");
  }

  @Test
  void capture_directoriesLookedAt_areRecordedByRealPathWithTheLinksOnTheWay_butNotUnderExclusions()
      throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty/sub"));
    String script = "test -d /lib/python3.11/lib-dynload && test -d /usr/share/common-licenses"
        + " && cat /usr/share/common-licenses/BSD > /dev/null && test -d " + empty + " && test -d /proc/self/fd";
    Manifest m = bash(script, traced()).manifest();
    assertTrue(m.directories().contains(real("/lib/python3.11/lib-dynload")), m.directories()::toString);
    if (Files.isSymbolicLink(Path.of("/lib"))) {
      assertEquals(Files.readSymbolicLink(Path.of("/lib")).toString(), m.symlinks().get("/lib"));
    }
    assertFalse(m.directories().contains("/usr/share/common-licenses"), "it holds a recorded file");
    assertTrue(m.directories().stream().noneMatch(d -> d.startsWith("/tmp/") || d.startsWith("/proc/")),
        m.directories()::toString);

    ClosureCapture.Options noExclusions = new ClosureCapture.Options(List.of(), true, List.of(), EnvFilter.defaults());
    Manifest all = bash("test -d " + empty.getParent() + " && test -d " + empty, noExclusions).manifest();
    assertTrue(all.directories().contains(real(empty.toString())), all.directories()::toString);
    assertFalse(all.directories().contains(real(empty.getParent().toString())), "above a recorded directory");
  }

  @Test
  void capture_whenNotTracing_hasOnlyTheElfClosure() throws IOException {
    Manifest m = capture(PY, List.of("python3", "-c", "import ssl, sqlite3"), ENV, "/",
        ClosureCapture.Options.defaults()).manifest();
    assertTrue(m.files().keySet().stream().noneMatch(p -> p.startsWith(DYNLOAD)), m.files().keySet()::toString);
    for (String lib : List.of("libssl.so.3", "libcrypto.so.3", "libsqlite3.so.0")) {
      assertFalse(m.files().containsKey(real(LIBDIR + "/" + lib)), lib);
    }
    assertFalse(m.files().containsKey("/usr/lib/python3.11/ssl.py"));
    Map<String, Reason> reasons = new HashMap<>();
    m.files().forEach((p, f) -> reasons.put(p, f.reason()));
    assertEquals(Reason.ENTRY, reasons.get(PY_REAL));
    assertEquals(Reason.INTERPRETER, reasons.get(real(LD_SO)));
    assertEquals(m.libraries().size() + 1, m.files().size(), "entry plus its libraries, nothing else");
    assertEquals(Optional.empty(), capture(PY, List.of("python3"), ENV, "/", ClosureCapture.Options.defaults())
        .recordingExitStatus());
  }

  // ---------------------------------------------------------------- entry, links, loader oracle

  @Test
  void capture_entryViaSymlink_recordsInvokedPathLinkAndRealFile() throws IOException {
    Manifest m = pythonTraced.manifest();
    assertEquals(PY, m.entry().path());
    assertEquals("python3.11", m.symlinks().get(PY));
    assertFalse(m.files().containsKey(PY));
    assertEquals(Reason.ENTRY, m.files().get(PY_REAL).reason());
    assertEquals(m.files().get(PY_REAL).digest(), m.entry().digest());
    assertEquals(Optional.of(PY_REAL), m.resolve(PY));
    assertEquals(Optional.of(LD_SO), m.interpreter());
    assertEquals(Optional.of(real(LD_SO)), m.resolve(LD_SO));
    assertEquals("usr/lib64", m.symlinks().get("/lib64"));
    assertEquals(Files.readSymbolicLink(Path.of("/usr/lib64/ld-linux-x86-64.so.2")).toString(),
        m.symlinks().get("/usr/lib64/ld-linux-x86-64.so.2"));
    assertEquals("usr/lib", m.symlinks().get("/lib"));
    assertEquals("x86_64-linux-gnu", m.platform());
  }

  @Test
  void capture_libraries_equalWhatLdSoListPrintsInOrder() throws Exception {
    for (ClosureCapture.Capture c : List.of(pythonTraced,
        capture("/usr/bin/git", List.of("git", "--version"), ENV, "/", ClosureCapture.Options.defaults()),
        capture("/usr/bin/perl", List.of("perl", "-e", "1"), ENV, "/", ClosureCapture.Options.defaults()))) {
      Manifest m = c.manifest();
      List<String> ours = m.libraries().stream()
          .map(l -> l.name().equals(l.path()) ? l.path() : l.name() + " => " + l.path()).toList();
      assertEquals(ldSoList(real(m.entry().path())), ours, m.entry().path());
    }
  }

  /** glibc's own listing, vdso left out, addresses dropped. */
  static List<String> ldSoList(String file) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(LD_SO, "--list", file);
    pb.environment().remove("LD_LIBRARY_PATH");
    pb.environment().remove("LD_PRELOAD");
    String out = run(pb);
    List<String> lines = new ArrayList<>();
    for (String raw : out.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("linux-vdso")) {
        continue;
      }
      lines.add(line.substring(0, line.lastIndexOf(" (0x")));
    }
    return lines;
  }

  static String run(ProcessBuilder pb) throws Exception {
    Process p = pb.redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), () -> pb.command() + ": " + out);
    return out;
  }

  // ---------------------------------------------------------------- file descriptions

  @Test
  void capture_everyFile_hasTheDigestSizeModeAndMtimeOfTheSystemTools() throws Exception {
    Manifest m = pythonTraced.manifest();
    List<String> paths = new ArrayList<>(m.files().keySet());
    assertTrue(paths.size() > 50, "python's closure is bigger than that: " + paths.size());
    checkAgainstCoreutils(m, paths);
  }

  static void checkAgainstCoreutils(Manifest m, List<String> paths) throws Exception {
    List<String> sha = new ArrayList<>(List.of("sha256sum", "--"));
    sha.addAll(paths);
    Map<String, String> digests = run(new ProcessBuilder(sha)).lines()
        .collect(Collectors.toMap(l -> l.substring(66), l -> l.substring(0, 64)));
    List<String> stat = new ArrayList<>(List.of("stat", "-c", "%s %a %Y %n", "--"));
    stat.addAll(paths);
    Map<String, String[]> stats = run(new ProcessBuilder(stat)).lines()
        .collect(Collectors.toMap(l -> l.split(" ", 4)[3], l -> l.split(" ", 4)));
    for (String p : paths) {
      FileEntry f = m.files().get(p);
      assertEquals(digests.get(p), f.digest().hex(), p);
      String[] s = stats.get(p);
      assertEquals(Long.parseLong(s[0]), f.size(), p);
      assertEquals(Integer.parseInt(s[1], 8) & 0777, f.mode(), p);
      assertEquals(Long.parseLong(s[2]), f.mtime(), p);
    }
  }

  @Test
  void capture_oddModesAndTimes_areRecordedAsStatShowsThem() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("odd"));
    Map<String, String> modes = Map.of("a", "rwx--x--x", "b", "r--------", "c", "rw-rw-rw-", "d", "---------");
    for (var e : modes.entrySet()) {
      Path f = dir.resolve(e.getKey());
      Files.writeString(f, e.getKey());
      Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString(e.getValue()));
    }
    Path suid = dir.resolve("s");
    Files.writeString(suid, "s");
    run(new ProcessBuilder("chmod", "4755", suid.toString()));
    Files.setLastModifiedTime(dir.resolve("a"), FileTime.fromMillis(-1500));  // 1969-12-31T23:59:58.5Z
    Files.setLastModifiedTime(dir.resolve("b"), FileTime.fromMillis(4_102_444_800_999L));  // 2100
    Files.setLastModifiedTime(dir.resolve("c"), FileTime.fromMillis(0));
    Manifest m = capture("/bin/true", List.of("true"), ENV, "/", includes(dir.toString())).manifest();
    List<String> paths = new ArrayList<>();
    for (String n : List.of("a", "b", "c", "d", "s")) {
      paths.add(real(dir.resolve(n).toString()));
    }
    checkAgainstCoreutils(m, paths);
    assertEquals(0755, m.files().get(real(suid.toString())).mode(), "set-id bits are never carried");
  }

  // ---------------------------------------------------------------- what the trace contributes

  @Test
  void capture_traceExcludes_leaveOutFilesUnderExcludedPrefixesUnlessEmptied() throws IOException {
    Path secret = tmp.resolve("input.txt");
    Files.writeString(secret, "data");
    String path = real(secret.toString());
    assertTrue(path.startsWith("/tmp/"), "@TempDir lives under /tmp here: " + path);
    String script = "cat " + path + " >/dev/null";
    assertFalse(bash(script, traced()).manifest().files().containsKey(path));
    ClosureCapture.Options noExclusions =
        new ClosureCapture.Options(List.of(), true, List.of(), EnvFilter.defaults());
    Manifest m = bash(script, noExclusions).manifest();
    assertEquals(Reason.TRACED, m.files().get(path).reason());
    assertTrue(m.files().keySet().stream().noneMatch(p -> p.startsWith("/proc/") || p.startsWith("/dev/")),
        "only regular files, never device nodes or kernel views");
  }

  @Test
  void capture_writesAreNotInputs() throws IOException {
    Path out = tmp.resolve("out.txt");
    ClosureCapture.Options noExclusions =
        new ClosureCapture.Options(List.of(), true, List.of(), EnvFilter.defaults());
    Manifest m = bash("echo x > " + out + "; echo y >> " + out, noExclusions).manifest();
    assertTrue(Files.exists(out));
    assertFalse(m.files().containsKey(real(out.toString())), m.files().keySet()::toString);
  }

  @Test
  void capture_relativeOpens_areTakenAgainstTheProcessCwd() throws IOException {
    Manifest m = bash("cd /usr/share && cat ./common-licenses/BSD common-licenses/GFDL > /dev/null"
        + " && cd /usr/lib && cat python3.11/../os-release > /dev/null", traced()).manifest();
    assertEquals(Reason.TRACED, m.files().get("/usr/share/common-licenses/BSD").reason());
    assertEquals(Reason.TRACED, m.files().get(real("/usr/share/common-licenses/GFDL")).reason());
    assertEquals(Files.readSymbolicLink(Path.of("/usr/share/common-licenses/GFDL")).toString(),
        m.symlinks().get("/usr/share/common-licenses/GFDL"));
    assertTrue(m.files().containsKey(real("/usr/lib/os-release")), m.files().keySet()::toString);
    assertTrue(m.files().containsKey(real("/usr/bin/cat")));
  }

  @Test
  void capture_execdChildren_bringTheirProgramsAndLibraries() throws IOException {
    Path repo = tmp.resolve("repo");
    Manifest m = bash("/usr/bin/env true && cd " + tmp + " && git init -q repo && git --version >/dev/null",
        traced()).manifest();
    assertTrue(Files.isDirectory(repo.resolve(".git")));
    for (String exe : List.of("/usr/bin/env", "/usr/bin/true", "/usr/bin/git")) {
      assertEquals(Reason.TRACED, m.files().get(exe).reason(), exe);
    }
    String pcre = real(LIBDIR + "/libpcre2-8.so.0");
    assertEquals(Optional.of("/usr/bin/git"), m.files().get(pcre).by(), "git's own library");
    assertTrue(m.files().containsKey(real(LIBDIR + "/libz.so.1")));
    assertTrue(m.files().keySet().stream().anyMatch(p -> p.startsWith("/usr/share/git-core/templates/")),
        "git init copies its templates");
    assertTrue(m.files().keySet().stream().noneMatch(p -> p.startsWith(real(tmp.toString()))));
    assertFalse(m.libraries().stream().anyMatch(l -> l.path().contains("pcre")),
        "libraries is the entry's load order only");
  }

  @Test
  void capture_execOfAScript_bringsItsInterpreter() throws IOException {
    Path dir = Files.createDirectories(Path.of("/var/lib/closure-cache-test-" + ProcessHandle.current().pid()));
    try {
      Path script = dir.resolve("tool.pl");
      Files.writeString(script, "#!/usr/bin/perl\nexit 0;\n");
      run755(script);
      Manifest m = bash(script.toString(), traced()).manifest();
      assertEquals(Reason.TRACED, m.files().get(script.toString()).reason());
      assertTrue(m.files().containsKey(real("/usr/bin/perl")), "the kernel, not the script, opens perl");
      assertEquals(Optional.of(real("/usr/bin/perl")), m.files().get(real(LIBDIR + "/libcrypt.so.1")).by(),
          "perl's libraries come along");
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  // ---------------------------------------------------------------- what the run made itself

  static ClosureCapture.Options tracedEverywhere(boolean keepWritten) {
    return new ClosureCapture.Options(List.of(), true, List.of("/proc", "/sys", "/dev"), List.of(), keepWritten,
        EnvFilter.defaults());
  }

  @Test
  void capture_whenTheRunWritesFilesAndReadsThemBack_leavesThemOutAndCountsThem() throws IOException {
    Path input = Files.writeString(tmp.resolve("input.txt"), "given");
    Path out = tmp.resolve("out.txt");
    Path made = tmp.resolve("made");
    String script = "rm -rf " + out + " " + made + " " + tmp.resolve("repo")
        + " && cat " + input + " > " + out + " && cat " + out + " > /dev/null"
        + " && mkdir " + made + " && echo y > " + made + "/copy && cat " + made + "/copy > /dev/null"
        + " && cd " + tmp + " && git init -q repo && git -C repo status > /dev/null";
    ClosureCapture.Capture c = bash(script, tracedEverywhere(false));
    Manifest m = c.manifest();
    assertEquals(Reason.TRACED, m.files().get(real(input.toString())).reason(), "read, never written: an input");
    String tmpReal = real(tmp.toString());
    assertFalse(m.files().containsKey(real(out.toString())), "its own output, read back");
    assertTrue(m.files().keySet().stream().noneMatch(p -> p.startsWith(tmpReal + "/made")
        || p.startsWith(tmpReal + "/repo")), m.files().keySet()::toString);
    assertTrue(m.directories().stream().noneMatch(p -> p.startsWith(tmpReal + "/made")
        || p.startsWith(tmpReal + "/repo")), m.directories()::toString);
    assertTrue(c.leftOutWritten().contains(real(out.toString())), c.leftOutWritten()::toString);
    assertTrue(c.leftOutWritten().contains(real(made + "/copy")), c.leftOutWritten()::toString);
    assertTrue(c.leftOutWritten().contains(tmpReal + "/repo/.git/HEAD"), c.leftOutWritten()::toString);
    assertTrue(m.files().containsKey(real("/usr/bin/git")), "the programs stay");

    ClosureCapture.Capture kept = bash(script, tracedEverywhere(true));
    assertEquals(Reason.TRACED, kept.manifest().files().get(real(out.toString())).reason());
    assertTrue(kept.manifest().files().containsKey(tmpReal + "/repo/.git/HEAD"));
    assertEquals(Set.of(), kept.leftOutWritten());
  }

  // ---------------------------------------------------------------- programs the scope leaves out

  /** A script under /tmp (excluded by default) that a traced run executes. */
  Path excludedTool() throws IOException {
    Path tool = tmp.resolve("tool");
    Files.writeString(tool, "#!/bin/sh\nexit 0\n");
    run755(tool);
    assertTrue(real(tool.toString()).startsWith("/tmp/"), tool::toString);
    return tool;
  }

  @Test
  void capture_whenAChildRunsAProgramUnderAnExcludedPrefix_warnsNamingTraceInclude() throws IOException {
    Path tool = excludedTool();
    ClosureCapture.Capture c = bash(tool + "; true", traced());
    assertFalse(c.manifest().files().containsKey(tool.toString()));
    assertEquals(1, c.warnings().stream().filter(w -> w.startsWith("left out " + tool + ", under the excluded /tmp")
        && w.contains("--trace-include " + tmp)).count(), c.warnings()::toString);
  }

  @Test
  void capture_whenTheEntryProcessExecsAProgramUnderAnExcludedPrefix_failsUnlessTraceIncluded() throws IOException {
    Path tool = excludedTool();
    ExcludedProgramException e = assertThrows(ExcludedProgramException.class, () -> bash("exec " + tool, traced()));
    assertTrue(e.getMessage().startsWith("the program's own process runs " + tool + ", under the excluded /tmp"),
        e.getMessage());
    assertTrue(e.getMessage().contains("--trace-include " + tmp), e.getMessage());
    assertEquals(List.of(tool.toString()), e.dropped().stream().map(DroppedProgram::path).toList());

    ClosureCapture.Options included = new ClosureCapture.Options(List.of(), true,
        ClosureCapture.DEFAULT_TRACE_EXCLUDE, List.of(tmp.toString()), false, EnvFilter.defaults());
    ClosureCapture.Capture c = bash("exec " + tool, included);
    assertEquals(Reason.TRACED, c.manifest().files().get(real(tool.toString())).reason());
    assertEquals(List.of(), c.warnings());
  }

  @Test
  void capture_whenTheEntrysEnvShebangFindsItsInterpreterUnderAnExcludedPrefix_fails() throws Exception {
    // a pyenv shim's shape: #!/usr/bin/env NAME, NAME found first in a PATH directory under /tmp
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Files.copy(Path.of("/usr/bin/dash"), bin.resolve("myshell"));
    run755(bin.resolve("myshell"));
    Path dir = Files.createDirectories(Path.of("/var/lib/closure-cache-test-" + ProcessHandle.current().pid()));
    try {
      Path job = dir.resolve("job");
      Files.writeString(job, "#!/usr/bin/env myshell\nexit 0\n");
      run755(job);
      Map<String, String> env = Map.of("PATH", bin + ":/usr/bin:/bin");
      ExcludedProgramException e = assertThrows(ExcludedProgramException.class,
          () -> capture(job.toString(), List.of(job.toString()), env, "/", traced()));
      assertEquals(List.of(bin.resolve("myshell").toString()), e.dropped().stream().map(DroppedProgram::path).toList());
      assertTrue(e.getMessage().contains("--trace-include " + bin), e.getMessage());
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void capture_whenAnExecutedScriptsInterpreterIsUnderAnExcludedPrefix_warnsNamingTheScript() throws Exception {
    Path shell = tmp.resolve("myshell");
    Files.copy(Path.of("/usr/bin/dash"), shell);
    run755(shell);
    Path dir = Files.createDirectories(Path.of("/var/lib/closure-cache-test-" + ProcessHandle.current().pid()));
    try {
      Path script = dir.resolve("tool.sh");
      Files.writeString(script, "#!" + shell + "\nexit 0\n");
      run755(script);
      ClosureCapture.Capture c = bash(script + "; true", traced());
      Manifest m = c.manifest();
      assertEquals(Reason.TRACED, m.files().get(script.toString()).reason());
      assertFalse(m.files().containsKey(shell.toString()));
      assertTrue(c.warnings().stream().anyMatch(w -> w.startsWith("left out " + shell + " (the #! interpreter of "
          + script + "), under the excluded /tmp")), c.warnings()::toString);
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void capture_whenTheEntryItselfLiesUnderAnExcludedPrefix_itIsInTheClosureAndNothingIsSaid() throws IOException {
    Path tool = excludedTool();
    ClosureCapture.Capture c = capture(tool.toString(), List.of(tool.toString()), ENV, "/", traced());
    assertEquals(Reason.ENTRY, c.manifest().files().get(real(tool.toString())).reason());
    assertEquals(List.of(), c.warnings());
  }

  static void run755(Path p) throws IOException {
    Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  // ---------------------------------------------------------------- scripts as entry

  @Test
  void capture_shebangScriptEntry_runsItsInterpretersLinkMap() throws Exception {
    Path script = tmp.resolve("job.sh");
    Files.writeString(script, "#!/bin/bash\necho hi\n");
    run755(script);
    String real = real(script.toString());
    Manifest m = capture(script.toString(), List.of(script.toString()), ENV, "/",
        ClosureCapture.Options.defaults()).manifest();
    assertEquals(script.toString(), m.entry().path());
    assertEquals(Reason.ENTRY, m.files().get(real).reason());
    String bashReal = real("/bin/bash");
    assertEquals(Reason.NEEDED_BY, m.files().get(bashReal).reason());
    assertEquals(Optional.of(real), m.files().get(bashReal).by());
    assertEquals("usr/bin", m.symlinks().get("/bin"));
    List<String> ours = m.libraries().stream()
        .map(l -> l.name().equals(l.path()) ? l.path() : l.name() + " => " + l.path()).toList();
    assertEquals(ldSoList(bashReal), ours, "bash's libraries, in bash's order");
    assertTrue(m.files().containsKey(real(LIBDIR + "/libtinfo.so.6")));
  }

  @Test
  void capture_entryThatIsNeitherElfNorScript_isRefusedClearly() throws IOException {
    Path text = tmp.resolve("notes.txt");
    Files.writeString(text, "hello\n");
    IOException e = assertThrows(IOException.class, () -> capture(text.toString(), List.of("notes"), ENV, "/",
        ClosureCapture.Options.defaults()));
    assertTrue(e.getMessage().contains("neither an ELF program nor a #! script"), e::getMessage);
  }

  // ---------------------------------------------------------------- includes

  @Test
  void capture_includes_fileDirectoryGlobAndRelative() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data/sub"));
    Files.writeString(tmp.resolve("data/one.txt"), "1");
    Files.writeString(data.resolve("two.txt"), "2");
    Files.writeString(tmp.resolve("cfg.ini"), "[x]");
    String root = tmp.toRealPath().toString();
    ClosureCapture.Capture c = capture("/bin/true", List.of("true"), ENV, root, includes(
        "/etc/os-release", root + "/data", "/usr/lib/python3.11/json/*.py", "cfg.ini"));
    Manifest m = c.manifest();
    for (String p : List.of(root + "/data/one.txt", root + "/data/sub/two.txt", root + "/cfg.ini",
        "/usr/lib/python3.11/json/decoder.py", "/usr/lib/python3.11/json/__init__.py", real("/etc/os-release"))) {
      assertEquals(Reason.INCLUDED, m.files().get(p).reason(), p);
    }
    assertEquals(Files.readSymbolicLink(Path.of("/etc/os-release")).toString(), m.symlinks().get("/etc/os-release"));
    assertTrue(m.files().keySet().stream().noneMatch(p -> p.startsWith("/usr/lib/python3.11/json/__pycache__")));
    assertEquals(Optional.empty(), c.recordingExitStatus());
  }

  @Test
  void capture_includeOfAnExtensionModule_bringsItsElfClosure() throws IOException {
    Manifest m = capture(PY, List.of("python3"), ENV, "/",
        includes(DYNLOAD + "_ssl.cpython-311-x86_64-linux-gnu.so")).manifest();
    String ssl = DYNLOAD + "_ssl.cpython-311-x86_64-linux-gnu.so";
    assertEquals(Reason.INCLUDED, m.files().get(ssl).reason(), "its own reason, not needed-by python");
    assertEquals(Optional.of(ssl), m.files().get(real(LIBDIR + "/libssl.so.3")).by());
    assertEquals(Optional.of(ssl), m.files().get(real(LIBDIR + "/libcrypto.so.3")).by());
    assertFalse(m.libraries().stream().anyMatch(l -> l.name().equals("libssl.so.3")),
        "included objects are not in the start-up load order");
  }

  @Test
  void capture_includeOfAMissingPath_isNoSuchFile() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> capture("/bin/true", List.of("true"),
        ENV, "/", includes("/usr/share/definitely-not-here.txt")));
    assertEquals("/usr/share/definitely-not-here.txt", e.getFile());
    assertTrue(e.getMessage().contains("--include"), e::getMessage);
  }

  // ---------------------------------------------------------------- run status, launch

  @Test
  void capture_recordingRunFails_warnsAndStillReturnsTheCapture() throws IOException {
    ClosureCapture.Capture c = bash("cat /etc/os-release >/dev/null; exit 3", traced());
    assertEquals(Optional.of(3), c.recordingExitStatus());
    assertEquals(1, c.warnings().size(), c.warnings()::toString);
    assertTrue(c.warnings().get(0).contains("status 3"), c.warnings()::toString);
    assertTrue(c.manifest().files().containsKey(real("/etc/os-release")));
  }

  @Test
  void capture_launch_recordsArgvCwdAndEnvironmentWithoutSecrets() throws IOException {
    Map<String, String> env = new HashMap<>(ENV);
    env.putAll(Map.of("MY_API_TOKEN", "t0k3n", "AWS_SECRET_ACCESS_KEY", "s3cr3t", "DB_PASSWORD", "pw",
        "SSH_AUTH_SOCK", "/tmp/agent", "OMP_NUM_THREADS", "4", "GIT_AUTHOR_NAME", "me", "PUBLIC_TOKEN_URL", "u"));
    EnvFilter filter = EnvFilter.defaults().with(List.of(), List.of("PUBLIC_TOKEN_*", "GIT_AUTHOR_*"));
    ClosureCapture.Options options = new ClosureCapture.Options(List.of(), true,
        ClosureCapture.DEFAULT_TRACE_EXCLUDE, filter);
    List<String> argv = List.of("python3", "-c", "import os, sys; sys.exit(len(os.environ['MY_API_TOKEN']) - 5)",
        "arg with spaces", "");
    ClosureCapture.Capture c = capture(PY, argv, env, "/usr/share", options);
    assertEquals(Optional.of(0), c.recordingExitStatus(), "the run itself gets the whole environment");
    Manifest m = c.manifest();
    assertEquals(argv, m.launch().argv());
    assertEquals("/usr/share", m.launch().cwd());
    assertEquals(Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8", "OMP_NUM_THREADS", "4", "GIT_AUTHOR_NAME", "me",
        "PUBLIC_TOKEN_URL", "u"), m.launch().env());
    String wire = new String(ManifestCodec.toCanonicalBytes(m), StandardCharsets.UTF_8);
    for (String secret : List.of("t0k3n", "s3cr3t", "/tmp/agent", "AWS_SECRET", "DB_PASSWORD", "SSH_AUTH_SOCK")) {
      assertFalse(wire.contains(secret), secret);
    }
  }

  @Test
  void capture_manifest_roundTripsThroughTheCodec() throws Exception {
    Manifest m = pythonTraced.manifest();
    byte[] bytes = ManifestCodec.toCanonicalBytes(m);
    Manifest back = ManifestCodec.parse(bytes);
    assertEquals(m, back);
    assertEquals(ManifestCodec.digest(m), ManifestCodec.digest(back));
    assertTrue(java.util.Arrays.equals(bytes, ManifestCodec.toCanonicalBytes(back)));
  }
}
