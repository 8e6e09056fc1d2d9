package org.closurecache.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Shebang} against the rules of Linux's binfmt_script. */
class ShebangTest {
  @TempDir Path tmp;

  private Optional<String> of(byte[] content) throws IOException {
    Path f = Files.createTempFile(tmp, "s", "");
    Files.write(f, content);
    return Shebang.interpreter(f);
  }

  private Optional<String> of(String content) throws IOException {
    return of(content.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void interpreter_plainScript_isTheFirstWord() throws IOException {
    assertEquals(Optional.of("/bin/bash"), of("#!/bin/bash\necho hi\n"));
    assertEquals(Optional.of("/bin/bash"), of("#! \t/bin/bash -e -x\n"));
    assertEquals(Optional.of("/usr/bin/perl"), of("#!/usr/bin/perl\t-w\n"));
  }

  @Test
  void interpreter_env_isEnvItself() throws IOException {
    assertEquals(Optional.of("/usr/bin/env"), of("#!/usr/bin/env python3\nprint(1)\n"));
  }

  @Test
  void interpreter_noNewline_stillReadsTheName() throws IOException {
    assertEquals(Optional.of("/bin/sh"), of("#!/bin/sh"));
    assertEquals(Optional.of("/bin/sh"), of("#!/bin/sh   "));
  }

  @Test
  void interpreter_nameEndsAtNul() throws IOException {
    assertEquals(Optional.of("/bin/sh"), of("#!/bin/sh\0garbage\n"));
  }

  @Test
  void interpreter_carriageReturn_isPartOfTheNameAsTheKernelSeesIt() throws IOException {
    assertEquals(Optional.of("/bin/bash\r"), of("#!/bin/bash\r\necho\r\n"));
  }

  @Test
  void interpreter_256ByteLimit() throws IOException {
    String longName = "/" + "d".repeat(300);
    // the name runs past the 256 bytes the kernel reads: it refuses the file (ENOEXEC)
    assertEquals(Optional.empty(), of("#!" + longName + "\n"));
    // a name that ends within the buffer, with arguments running past it, is fine
    assertEquals(Optional.of("/bin/sh"), of("#!/bin/sh " + "a".repeat(400) + "\n"));
    // boundaries checked against the kernel by exec'ing such scripts: a 253-byte name ends on the
    // buffer's last byte and runs (with a newline or a blank there); a 254-byte one does not
    String name253 = "/" + "e".repeat(252);
    assertEquals(Optional.of(name253), of("#!" + name253 + "\n"));
    assertEquals(Optional.of(name253), of("#!" + name253 + " arg\n"));
    String name254 = "/" + "e".repeat(253);
    assertEquals(Optional.empty(), of("#!" + name254 + "\n"));
    assertEquals(Optional.empty(), of("#!" + name254 + " arg\n"));
  }

  /**
   * Whatever the parser says, the kernel must agree: exec each script and see whether its
   * interpreter (echo, which prints the script's path) ran. On ENOEXEC the JDK, like execvp,
   * hands the file to /bin/sh, which takes the #! line for a comment and prints nothing.
   */
  @Test
  void interpreter_boundaries_agreeWithTheKernel() throws Exception {
    String dir = tmp.toRealPath().toString();
    for (int length = 250; length <= 256; length++) {
      for (String after : List.of("\n", " a\n", "\t", "", " " + "b".repeat(300))) {
        String name = dir + "/" + "i".repeat(length - dir.length() - 1);
        if (!Files.exists(Path.of(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createSymbolicLink(Path.of(name), Path.of("/bin/echo"));
        }
        Path script = Files.createTempFile(tmp, "k", "");
        Files.writeString(script, "#!" + name + after);
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        boolean ran;
        try {
          Process p = new ProcessBuilder(script.toString()).redirectErrorStream(true).start();
          ran = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .contains(script.toString());
          p.waitFor();
        } catch (java.io.IOException e) {
          ran = false;  // ENOEXEC
        }
        assertEquals(ran ? Optional.of(name) : Optional.empty(), Shebang.interpreter(script),
            "interpreter name of " + length + " bytes followed by " + after.length() + " bytes");
      }
    }
  }

  @Test
  void interpreter_relativeOrMissing_isEmpty() throws IOException {
    assertEquals(Optional.empty(), of("#!python3\n"));
    assertEquals(Optional.empty(), of("#!\n"));
    assertEquals(Optional.empty(), of("#!   \t \n"));
    assertEquals(Optional.empty(), of("#!"));
    assertEquals(Optional.empty(), of("#"));
    assertEquals(Optional.empty(), of(""));
    assertEquals(Optional.empty(), of(" #!/bin/sh\n"));
    assertEquals(Optional.empty(), of("# !/bin/sh\n"));
  }

  @Test
  void interpreter_binaryFiles_areEmpty() throws IOException {
    assertEquals(Optional.empty(), Shebang.interpreter(Path.of("/bin/bash").toRealPath()));
    byte[] noise = new byte[4096];
    new java.util.Random(7).nextBytes(noise);
    noise[0] = 0x7f;
    assertEquals(Optional.empty(), of(noise));
    byte[] shebangThenBinary = new byte[300];
    shebangThenBinary[0] = '#';
    shebangThenBinary[1] = '!';
    for (int i = 2; i < shebangThenBinary.length; i++) {
      shebangThenBinary[i] = (byte) (0x80 | i);
    }
    assertEquals(Optional.empty(), of(shebangThenBinary), "no terminator within the buffer");
  }

  @Test
  void interpreter_realSystemScript() throws IOException {
    Path script = Path.of("/usr/bin/pydoc3.11");
    if (Files.isRegularFile(script)) {
      assertEquals(Optional.of("/usr/bin/python3.11"), Shebang.interpreter(script));
    }
  }
}
