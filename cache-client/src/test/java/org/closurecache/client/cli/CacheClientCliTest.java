package org.closurecache.client.cli;

import org.closurecache.core.cli.Cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.closurecache.core.manifest.LoadedLibrary;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.sign.KeyFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code cache-client} front end, in process, on real programs. */
class CacheClientCliTest {
  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Cli.run(new CacheClientMain(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(status, out.toString(), err.toString());
  }

  @Test
  void closureJson_printsAParsableManifestWhoseLibrariesAreInLoadOrder() throws Exception {
    Run r = run("closure", "--json", "--", "/usr/bin/git", "--version");
    assertEquals(0, r.status(), r.err());
    Manifest m = ManifestCodec.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
    assertEquals("/usr/bin/git", m.entry().path());
    assertEquals(List.of("/usr/bin/git", "--version"), m.launch().argv());
    List<String> names = m.libraries().stream().map(LoadedLibrary::name).toList();
    assertEquals("/lib64/ld-linux-x86-64.so.2", names.get(names.size() - 1));
    assertTrue(names.contains("libc.so.6"), names::toString);
    for (LoadedLibrary lib : m.libraries()) {
      assertTrue(m.resolve(lib.path()).isPresent(), lib::toString);
    }
  }

  @Test
  void closure_withoutDoubleDash_leavesTheProgramsOptionsToTheProgram() throws Exception {
    // --version and -h after PROGRAM are git's, not cache-client's: recorded, not obeyed
    Run r = run("closure", "--json", "/usr/bin/git", "--version", "-h", "--json");
    assertEquals(0, r.status(), r.err());
    Manifest m = ManifestCodec.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("/usr/bin/git", "--version", "-h", "--json"), m.launch().argv());
  }

  @Test
  void subcommandVersion_printsTheBuildsVersion() {
    Run r = run("publish", "-V");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("closure-cache "), r.out());
  }

  @Test
  void closureTrace_onPythonImports_findsWhatElfHeadersMiss() {
    Run plain = run("closure", "--", "/usr/bin/python3", "-c", "import ssl, sqlite3");
    Run traced = run("closure", "--trace", "--", "/usr/bin/python3", "-c", "import ssl, sqlite3");
    assertEquals(0, traced.status(), traced.err());
    for (String needle : List.of("_ssl.cpython", "_sqlite3.cpython", "libssl.so", "libcrypto.so", "libsqlite3.so")) {
      assertTrue(traced.out().contains(needle), () -> needle + " missing from\n" + traced.out());
      assertFalse(plain.out().contains(needle), () -> needle + " found without --trace");
    }
  }

  @Test
  void closureTrace_whenTheProgramExecsOneUnderAnExcludedPrefix_exitsOneNamingTraceInclude(@TempDir Path dir)
      throws Exception {
    Path tool = Files.writeString(dir.resolve("tool"), "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    Run r = run("closure", "--trace", "--", "/bin/bash", "-c", "exec " + tool);
    assertEquals(1, r.status(), r.err());
    List<String> lines = r.err().lines().toList();
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("warning: left out " + tool)), r.err());
    String last = lines.get(lines.size() - 1);
    assertTrue(last.startsWith("closure: the program's own process runs " + tool + ", under the excluded /tmp"), last);
    assertTrue(last.contains("--trace-include " + dir), last);

    Run kept = run("closure", "--trace", "--trace-include", dir.toString(), "--", "/bin/bash", "-c", "exec " + tool);
    assertEquals(0, kept.status(), kept.err());
    assertTrue(kept.out().contains(tool.toString()), kept.out());
  }

  @Test
  void closureTrace_whenTheRunReadsBackWhatItWrote_leavesItOutAndSaysHowMany(@TempDir Path dir) {
    Path out = dir.resolve("out.txt");
    String script = "echo x > " + out + " && cat " + out + " > /dev/null";
    Run r = run("closure", "--trace", "--trace-include", dir.toString(), "--", "/bin/bash", "-c", script);
    assertEquals(0, r.status(), r.err());
    assertFalse(r.out().contains(out.toString()), r.out());
    assertTrue(r.err().contains("left out 1 path the recording run wrote or made itself"), r.err());

    Run kept = run("closure", "--trace", "--trace-include", dir.toString(), "--trace-keep-written", "--",
        "/bin/bash", "-c", script);
    assertEquals(0, kept.status(), kept.err());
    assertTrue(kept.out().contains(out.toString()), kept.out());
    assertFalse(kept.err().contains("left out"), kept.err());
  }

  @Test
  void closureInclude_ofAJdk_resolvesLibrariesOneIncludedObjectProvidesToAnother() throws Exception {
    String jdk = "/usr/lib/jvm/java-17-openjdk-amd64";
    Run r = run("closure", "--json", "--include", jdk + "/lib", "--", jdk + "/bin/java", "-version");
    assertEquals(0, r.status(), r.err());
    Manifest m = ManifestCodec.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
    // libattach.so needs libjvm.so by SONAME only: the included lib/server/libjvm.so provides it,
    // as the launcher's loaded libjvm does at run time
    assertTrue(m.files().containsKey(jdk + "/lib/libattach.so"), m.files().keySet()::toString);
    assertEquals(org.closurecache.core.manifest.Reason.INCLUDED, m.files().get(jdk + "/lib/server/libjvm.so").reason());
  }

  @Test
  void closure_byBareName_searchesPathAndRecordsTheNameAsArgv0() throws Exception {
    Run r = run("closure", "--json", "--", "bash", "-c", "true");
    assertEquals(0, r.status(), r.err());
    Manifest m = ManifestCodec.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
    assertTrue(m.entry().path().endsWith("/bash"), m.entry().path());
    assertEquals("bash", m.launch().argv().get(0));
  }

  @Test
  void closure_whenProgramMissing_exitsOneWithAOneLineReason() {
    Run r = run("closure", "--", "no-such-program-here");
    assertEquals(1, r.status());
    assertEquals("closure: no-such-program-here: not found in PATH", r.err().strip());
    assertEquals("", r.out());
  }

  @Test
  void closure_whenNotAProgram_exitsOneNamingTheFile() {
    Run r = run("closure", "--", "/etc/hostname");
    assertEquals(1, r.status());
    assertTrue(r.err().startsWith("closure: /etc/hostname"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }

  @Test
  void closure_withoutProgram_isAUsageError() {
    Run r = run("closure");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("PROGRAM"), r.err());
  }

  /** A digest one character short, and a tag name with a space and a slash. */
  private static final List<String> BAD_REFS = List.of("sha256:" + "0123456789abcdef".repeat(4).substring(1), "my tag/1");

  /**
   * {@code command} (then the cache, then a bad REF, then {@code after}) is bad usage: exit 2, one
   * line naming the value and the command's help, and the cache is never opened.
   */
  private static void assertBadRefIsUsageError(Path dir, String command, String... after) {
    Path cache = dir.resolve("cache");
    for (String bad : BAD_REFS) {
      List<String> args = new java.util.ArrayList<>(List.of(command, "--cache", cache.toString(), bad));
      args.addAll(List.of(after));
      Run r = run(args.toArray(new String[0]));
      assertEquals(2, r.status(), r.err());
      List<String> lines = r.err().lines().toList();
      assertEquals(1, lines.size(), r.err());
      assertTrue(lines.get(0).startsWith(command + ": Invalid value for positional parameter"), lines.get(0));
      assertTrue(lines.get(0).contains('"' + bad + '"'), lines.get(0));
      assertTrue(lines.get(0).endsWith("(see 'cache-client " + command + " --help')"), lines.get(0));
      assertEquals("", r.out());
    }
    assertFalse(Files.exists(cache), "nothing is written for a bad REF");
  }

  @Test
  void pull_withBadRef_isAUsageErrorNamingIt_exit2(@TempDir Path dir) {
    assertBadRefIsUsageError(dir, "pull");
  }

  @Test
  void pinAndUnpin_withBadRef_isAUsageErrorNamingIt_exit2(@TempDir Path dir) {
    assertBadRefIsUsageError(dir, "pin");
    assertBadRefIsUsageError(dir, "unpin");
  }

  @Test
  void export_withBadRef_isAUsageErrorNamingIt_exit2(@TempDir Path dir) {
    assertBadRefIsUsageError(dir, "export", "-o", dir.resolve("out.tar").toString());
    assertFalse(Files.exists(dir.resolve("out.tar")));
  }

  @Test
  void warm_withOneBadRefAmongGoodOnes_isAUsageErrorNamingIt_exit2(@TempDir Path dir) {
    assertBadRefIsUsageError(dir, "warm", "python", "sha256:" + "0123456789abcdef".repeat(4));
  }

  @Test
  void help_existsForEveryCommand() {
    for (String[] args : List.of(new String[] {"--help"}, new String[] {"closure", "--help"},
        new String[] {"keygen", "--help"}, new String[] {"help", "closure"})) {
      Run r = run(args);
      assertEquals(0, r.status(), String.join(" ", args));
      assertTrue(r.out().startsWith("Usage: cache-client"), r.out());
    }
  }

  @Test
  void keygen_writesAPrivateKeyOnlyTheOwnerCanReadAndRefusesToOverwrite(@TempDir Path dir) throws Exception {
    Run first = run("keygen", "--out", dir.resolve("publisher").toString());
    assertEquals(0, first.status(), first.err());
    Path key = dir.resolve("publisher.key");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("publisher.pub"))));
    String id = KeyFiles.readPublicKey(dir.resolve("publisher.pub")).keyId().toString();
    assertTrue(first.out().contains(id), first.out());
    byte[] before = Files.readAllBytes(key);

    Run second = run("keygen", "--out", dir.resolve("publisher").toString());
    assertEquals(1, second.status());
    assertTrue(second.err().contains("publisher.key"), second.err());
    assertEquals(new String(before, StandardCharsets.US_ASCII), Files.readString(key));
  }

  @Test
  void keygen_intoAMissingDirectory_namesIt(@TempDir Path dir) {
    Run r = run("keygen", "--out", dir.resolve("nope/publisher").toString());
    assertEquals(1, r.status());
    assertEquals("keygen: " + dir.resolve("nope") + ": no such file or directory", r.err().strip());
  }
}
