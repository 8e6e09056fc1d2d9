package org.closurecache.shim.launch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launch plan's exec helper, run for real the way exec-view runs it: executed through a
 * descriptor ({@code /proc/self/fd/N}) with a cleared environment.
 */
class ExecHelperTest {
  @TempDir Path dir;
  Path helper;

  @BeforeEach
  void writeHelper() throws IOException {
    helper = Files.write(dir.resolve("exec-helper"), LaunchPlan.helper());
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  record Result(int status, String out, String err) {}

  /** {@code env -i ENV... /proc/self/fd/5 ARGS...} with the helper open on descriptor 5. */
  private Result run(List<String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c", "exec 5< \"$0\"; exec env -i \"$@\"",
        helper.toString()));
    cmd.addAll(env);
    cmd.add("/proc/self/fd/5");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectError(dir.resolve("err").toFile()).redirectOutput(dir.resolve("out").toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the helper did not finish");
    return new Result(p.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.ISO_8859_1),
        Files.readString(dir.resolve("err")));
  }

  @Test
  void helper_execsThePathWithTheGivenArgv0_andClosesTheDescriptorItRanThrough() throws Exception {
    Result cmdline = run(List.of(), "5", "0", "/bin/cat", "an argv[0] of the job's own", "/proc/self/cmdline");
    assertEquals(0, cmdline.status(), cmdline.err());
    assertEquals("an argv[0] of the job's own\0/proc/self/cmdline\0", cmdline.out());

    Result fds = run(List.of(), "5", "0", "/bin/ls", "ls", "/proc/self/fd");
    assertEquals(0, fds.status(), fds.err());
    assertEquals(List.of("0", "1", "2", "3"), fds.out().lines().toList(), "5 is closed; 3 is ls's own listing");
  }

  @Test
  void helper_dropsPwdOnlyWhenTold_andOnlyPwd() throws Exception {
    List<String> env = List.of("PWD=/somewhere", "PWDX=kept", "A=1", "XPWD=kept");
    Result dropped = run(env, "5", "1", "/usr/bin/env", "env");
    assertEquals(0, dropped.status(), dropped.err());
    assertEquals("PWDX=kept\nA=1\nXPWD=kept\n", dropped.out());
    Result kept = run(env, "5", "0", "/usr/bin/env", "env");
    assertEquals("PWD=/somewhere\nPWDX=kept\nA=1\nXPWD=kept\n", kept.out());
    Result empty = run(List.of(), "5", "1", "/usr/bin/env", "env");
    assertEquals("", empty.out(), "an empty environment stays empty");
  }

  @Test
  void helper_whenTheJobCannotStartOrArgumentsAreMissing_saysSoAndExits127() throws Exception {
    Result missing = run(List.of(), "5", "0", "/nonexistent/job", "job");
    assertEquals(127, missing.status());
    assertEquals("", missing.out());
    assertTrue(missing.err().startsWith("exec-view: the exec helper cannot start the job"), missing.err());
    assertEquals(1, missing.err().lines().count(), missing.err());
    assertEquals(127, run(List.of(), "5", "0", "/bin/true").status(), "no argv[0]");
    assertEquals(127, run(List.of(), "x5", "0", "/bin/true", "true").status(), "a descriptor that is no number");
  }

  @Test
  void helper_isTheAssemblyOfItsSource() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/as")) && Files.isExecutable(Path.of("/usr/bin/ld")),
        "binutils (as, ld) are not installed here");
    Path source = dir.resolve("exec-helper.S");
    try (InputStream in = LaunchPlan.class.getResourceAsStream("exec-helper.S")) {
      Files.write(source, in.readAllBytes());
    }
    String build = source.getParent() + "/built";
    Process p = new ProcessBuilder("/bin/sh", "-c", "as -o \"$1.o\" \"$0\" && ld -static -nostdlib -s --build-id=none"
        + " -z noseparate-code -o \"$1\" \"$1.o\"", source.toString(), build).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), log);
    assertArrayEquals(Files.readAllBytes(Path.of(build)), LaunchPlan.helper(),
        "the shipped exec-helper is not what exec-helper.S assembles to; rebuild it as the source says");
  }
}
