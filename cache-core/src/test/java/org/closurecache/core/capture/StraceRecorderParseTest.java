package org.closurecache.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link StraceRecorder#parse} on hand-written lines in the format strace 6 writes with -f -ff -qq -z -y. */
class StraceRecorderParseTest {
  private static List<TracedFile> parse(String... lines) {
    return StraceRecorder.parse(List.of(lines), "/start");
  }

  private static TracedFile read(String path) {
    return TracedFile.read(path);
  }

  private static TracedFile exec(String path) {
    return TracedFile.executed(path);
  }

  private static TracedFile written(String path) {
    return TracedFile.written(path);
  }

  @Test
  void parse_openatWithAbsoluteName_ignoresTheDirectory() {
    assertEquals(List.of(read("/etc/ld.so.cache")), parse(
        "openat(AT_FDCWD</usr/share>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>"));
  }

  @Test
  void parse_openatWithRelativeName_joinsTheCwdStracePrinted() {
    assertEquals(List.of(read("/usr/share/doc/./bash/copyright"), read("/usr/share/doc/share/../lib/os-release")), parse(
        "openat(AT_FDCWD</usr/share/doc>, \"./bash/copyright\", O_RDONLY) = 3</usr/share/doc/bash/copyright>",
        "openat(AT_FDCWD</usr/share/doc>, \"share/../lib/os-release\", O_RDONLY) = 3</usr/lib/os-release>"));
  }

  @Test
  void parse_openatOnADirectoryFd_joinsThatDirectory() {
    assertEquals(List.of(read("/some/dir/mod.py")), parse(
        "openat(3</some/dir>, \"mod.py\", O_RDONLY|O_CLOEXEC) = 4</some/dir/mod.py>"));
  }

  @Test
  void parse_plainOpen_relativeNameUsesTheLastCwdSeen() {
    assertEquals(List.of(read("/etc/passwd"), read("/start/rel.txt"), read("/x/y"), read("/x/rel2")), parse(
        "open(\"/etc/passwd\", O_RDONLY) = 3</etc/passwd>",
        "open(\"rel.txt\", O_RDONLY) = 3</start/rel.txt>",
        "openat(AT_FDCWD</x>, \"y\", O_RDONLY) = 3</x/y>",
        "open(\"rel2\", O_RDONLY|O_LARGEFILE) = 3</x/rel2>"));
  }

  @Test
  void parse_opensForWriting_areWrittenNotRead_andAnUnnamedFileIsNothing() {
    assertEquals(List.of(written("/w/out.txt"), written("/w/db"), written("/w/new"), written("/w/log"),
            written("/w/trunc")), parse(
        "openat(AT_FDCWD</w>, \"out.txt\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</w/out.txt>",
        "openat(AT_FDCWD</w>, \"db\", O_RDWR|O_CLOEXEC) = 3</w/db>",
        "openat(AT_FDCWD</w>, \"new\", O_RDONLY|O_CREAT, 0644) = 3</w/new>",
        "open(\"/w/log\", O_WRONLY|O_APPEND) = 3</w/log>",
        "openat(AT_FDCWD</w>, \"trunc\", O_RDONLY|O_TRUNC) = 3</w/trunc>",
        "openat(AT_FDCWD</w>, \"/w\", O_RDWR|O_TMPFILE, 0600) = 3</w/#123 (deleted)>"));
  }

  @Test
  void parse_namesTheRunMade_areWritten() {
    // as strace 6 prints them (mkdir, mknodat and friends from coreutils, rename/link/symlink from python)
    assertEquals(List.of(written("/start/a"), written("/start/e"), written("/x/d2"), written("/w/f"), written("/w/p"),
            written("/w/b"), written("/y/g"), written("/w/c"), written("/w/h"), written("/w/l"), written("/z/l2"),
            written("/w/t"), written("/w/named")), parse(
        "creat(\"a\", 0644) = 3</w/a>",
        "mkdir(\"e\", 0777)                        = 0",
        "mkdirat(AT_FDCWD</x>, \"d2\", 0755) = 0",
        "mknodat(AT_FDCWD</w>, \"f\", S_IFIFO|0666) = 0",
        "mknod(\"/w/p\", S_IFIFO|0644) = 0",
        "renameat2(AT_FDCWD</w>, \"a\", AT_FDCWD</w>, \"b\", RENAME_NOREPLACE) = 0",
        "renameat(AT_FDCWD</w>, \"b\", 4</y>, \"g\") = 0",
        "linkat(AT_FDCWD</w>, \"b\", AT_FDCWD</w>, \"c\", 0) = 0",
        "link(\"g\", \"h\")                          = 0",
        "symlinkat(\"b\", AT_FDCWD</w>, \"l\") = 0",
        "symlink(\"g\", \"/z/l2\")                       = 0",
        "truncate(\"t\", 0) = 0",
        "linkat(3</w/#123 (deleted)>, \"\", AT_FDCWD</w>, \"named\", AT_EMPTY_PATH) = 0",
        "rename(\"gone\", \"/w/r\"...) = 0",
        "mkdir(\"/w/failed\", 0777) = -1 EEXIST (File exists)"));
  }

  @Test
  void parseProcess_collectsTheChildrenItMade() {
    StraceRecorder.ProcessTrace t = StraceRecorder.parseProcess(List.of(
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 12380",
        "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88) = 12381",
        "vfork() = 12382",
        "fork()                                  = 12383",
        "clone(child_stack=NULL, flags=SIGCHLD) = -1 EAGAIN (Resource temporarily unavailable)",
        "execve(\"/usr/bin/true\", [\"true\"], 0x7ff /* 1 var */) = 0"), "/start");
    assertEquals(java.util.Set.of(12380L, 12381L, 12382L, 12383L), t.children());
    assertEquals(List.of(exec("/usr/bin/true")), t.files());
  }

  @Test
  void parse_openat2ReadOnly_isAnInput() {
    assertEquals(List.of(read("/etc/hosts"), written("/w/o")), parse(
        "openat2(AT_FDCWD</w>, \"/etc/hosts\", {flags=O_RDONLY|O_CLOEXEC, mode=0, resolve=0}, 24) = 3</etc/hosts>",
        "openat2(AT_FDCWD</w>, \"/w/o\", {flags=O_WRONLY|O_CREAT, mode=0644, resolve=0}, 24) = 3</w/o>"));
  }

  @Test
  void parse_truncatedNames_areIgnored() {
    assertEquals(List.of(), parse(
        "openat(AT_FDCWD</w>, \"/usr/lib/aaaa\"..., O_RDONLY) = 3</usr/lib/aaaaaaaa>",
        "newfstatat(AT_FDCWD</w>, \"/usr/lib/aaaa\"..., {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0",
        "execve(\"/usr/bin/aaaa\"..., [\"a\"], 0x7ffd /* 3 vars */) = 0"));
  }

  @Test
  void parse_escapes_areDecoded() {
    assertEquals(List.of(
            read("/d/A.txt"), read("/d/A.txt"), read("/d/q\"uote"), read("/d/back\\slash"),
            read("/d/new\nline"), read("/d/caf\u00e9"), read("/d/\u00e9t\u00e9"), read("/d/tab\there"),
            read("/d/nul\0"), read("/d/\u00e9\u00e9"), read("/d/\ud83d\ude00")),
        parse(
            "openat(AT_FDCWD</d>, \"\\x41.txt\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"\\101.txt\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"q\\\"uote\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"back\\\\slash\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"new\\nline\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"caf\\xc3\\xa9\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"\\303\\251t\\303\\251\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"tab\\there\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"nul\\0\", O_RDONLY) = 3",
            // already-decoded text (a UTF-8 trace read as text) survives, BMP and beyond
            "openat(AT_FDCWD</d>, \"\u00e9\u00e9\", O_RDONLY) = 3",
            "openat(AT_FDCWD</d>, \"\ud83d\ude00\", O_RDONLY) = 3"));
  }

  @Test
  void parse_escapedDirectoryInAtFdcwd_isDecoded() {
    assertEquals(List.of(read("/a b/\u00e9/f")), parse(
        "openat(AT_FDCWD</a b/\\303\\251>, \"f\", O_RDONLY) = 3"));
  }

  @Test
  void parse_execve_absoluteAndRelative() {
    List<TracedFile> got = parse(
        "execve(\"/usr/bin/env\", [\"/usr/bin/env\", \"true\"], 0x5589c97ea110 /* 35 vars */) = 0",
        "openat(AT_FDCWD</usr/share/doc>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>",
        "execve(\"./tool\", [\"./tool\"], 0x7fff753744b0 /* 35 vars */) = 0",
        "openat(AT_FDCWD</usr/share/doc>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>");
    assertTrue(got.contains(exec("/usr/bin/env")), got::toString);
    assertTrue(got.contains(exec("/usr/share/doc/./tool")), got::toString);
    assertTrue(got.contains(read("/etc/ld.so.cache")), got::toString);
  }

  @Test
  void parse_execveRelative_usesTheCwdAtTheExecNotTheLastOneSeen() {
    // the exec'd program later changes directory: ./tool was still found in /a
    List<TracedFile> got = parse(
        "execve(\"./tool\", [\"./tool\"], 0x7fff /* 1 var */) = 0",
        "openat(AT_FDCWD</a>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3",
        "openat(AT_FDCWD</b>, \"data\", O_RDONLY) = 3");
    assertTrue(got.contains(exec("/a/./tool")), got::toString);
    assertTrue(got.contains(read("/b/data")), got::toString);
  }

  @Test
  void parse_execveat_isAnExec() {
    assertTrue(parse("execveat(AT_FDCWD</w>, \"/usr/bin/true\", [\"true\"], 0x7ff /* 1 var */, 0) = 0")
        .contains(exec("/usr/bin/true")));
  }

  @Test
  void parse_lookups_recordTheFileLookedFor() {
    List<TracedFile> got = parse(
        "stat(\"/usr/lib/python3.11/os.py\", {st_mode=S_IFREG|0644, st_size=39504, ...}) = 0",
        "lstat(\"/usr/lib/python3.11/lstat.py\", {st_mode=S_IFREG|0644, st_size=1, ...}) = 0",
        "newfstatat(AT_FDCWD</w>, \"rel.py\", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0",
        "newfstatat(3</usr/lib/x>, \"\", {st_mode=S_IFREG|0644, st_size=1, ...}, AT_EMPTY_PATH) = 0",
        "newfstatat(5</usr/lib/python3.11>, \"abc.py\", {st_mode=S_IFREG|0644, st_size=1, ...}, 0) = 0",
        "statx(AT_FDCWD</w>, \"/usr/bin/git\", AT_STATX_SYNC_AS_STAT, STATX_ALL, {stx_mask=STATX_ALL, ...}) = 0",
        "access(\"/etc/ld.so.preload\", R_OK)           = 0",
        "faccessat2(AT_FDCWD</w>, \"/usr/bin/x\", X_OK, AT_EACCESS) = 0",
        "readlink(\"/proc/self/exe\", \"/usr/bin/python3.11\", 4096) = 19",
        "readlinkat(AT_FDCWD</w>, \"/usr/bin/python3\", \"python3.11\", 4096) = 10");
    assertEquals(List.of(read("/usr/lib/python3.11/os.py"), read("/usr/lib/python3.11/lstat.py"), read("/w/rel.py"),
        read("/usr/lib/python3.11/abc.py"), read("/usr/bin/git"), read("/etc/ld.so.preload"), read("/usr/bin/x"),
        read("/proc/self/exe"), read("/usr/bin/python3")), got);
  }

  @Test
  void parse_directoryLookupsAndDirectoryOpens_areReportedLikeFiles() {
    List<TracedFile> got = parse(
        "newfstatat(AT_FDCWD</>, \"/usr/lib/python3.11/lib-dynload\", {st_mode=S_IFDIR|0755, st_size=4096, ...}, 0) = 0",
        "openat(AT_FDCWD</>, \"/usr/lib/python3/dist-packages\", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3"
            + "</usr/lib/python3/dist-packages>",
        "newfstatat(AT_FDCWD</>, \"/usr/bin/lib/python3.11/lib-dynload\", 0x7ffd, 0) = -1 ENOENT (No such file)");
    assertEquals(List.of(read("/usr/lib/python3.11/lib-dynload"), read("/usr/lib/python3/dist-packages")), got);
  }

  @Test
  void parse_hostileAndNoiseLines_neverThrowAndYieldNothingBogus() {
    List<String> lines = new ArrayList<>(List.of(
        "",
        "openat(",
        "openat(AT_FDCWD</w>, \"unbalanced, O_RDONLY) = 3",
        "openat(AT_FDCWD</w, \"x\", O_RDONLY) = 3",
        "openat(AT_FDCWD</w>, \"x\", O_RDONLY <unfinished ...>",
        "<... openat resumed>) = 3</w/x>",
        "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=7679, si_uid=0, si_status=0} ---",
        "+++ exited with 0 +++",
        "+++ killed by SIGKILL +++",
        "openat(AT_FDCWD</w>, \"bad\\x\", O_RDONLY) = 3",
        "openat(AT_FDCWD</w>, \"bad\\xZZ\", O_RDONLY) = 3",
        "openat(AT_FDCWD</w>, \"bad\\\", O_RDONLY) = 3",
        "openat(AT_FDCWD</w\\>, \"bad\", O_RDONLY) = 3",
        "execve(\"/bin/x\\x\", [], 0x0) = 0",
        "openat(AT_FDCWD</w>, \"ok\", O_RDONLY) = -1 ENOENT (No such file or directory)",
        "\u0000\u0001\ufffd garbage \"\"\"\\\\\\",
        "openat(AT_FDCWD</w>, \"x\", O_RDONLY) = ? ERESTARTSYS"));
    lines.add("openat(AT_FDCWD</w>, \"" + "a".repeat(200_000) + "\", O_RDONLY) = 3");
    lines.add("openat(AT_FDCWD</w>, \"" + "\\303\\251".repeat(20_000) + "\", O_RDONLY) = 3");
    lines.add("openat(AT_FDCWD</w>, \"" + "\\\"".repeat(50_000) + "x, O_RDONLY) = 3");
    lines.add("newfstatat(AT_FDCWD</" + "d/".repeat(50_000) + ">, \"f\", {st_mode=S_IFREG}, 0) = 0");
    lines.add("execve(\"" + "\\\\".repeat(50_000) + "\", [\"x\"], 0x0) = 0");
    lines.add("x".repeat(1_000_000));
    List<TracedFile> got = StraceRecorder.parse(lines, "/start");
    for (TracedFile f : got) {
      assertTrue(f.requested().startsWith("/"), () -> "not absolute: " + f.requested().substring(0, 40));
      assertTrue(!f.requested().endsWith("/w/x") && !f.requested().contains("unbalanced"), f::toString);
    }
  }
}
