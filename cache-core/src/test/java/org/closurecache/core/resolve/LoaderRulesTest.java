package org.closurecache.core.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One loader rule per test, on programs and libraries built here with gcc, each checked against
 * {@code ld.so --list} run with the same environment.
 */
class LoaderRulesTest {
  static final String ZLIB = "/lib/x86_64-linux-gnu/libz.so.1";
  static LibraryResolver resolver;

  @TempDir Path tmp;

  @BeforeAll
  static void hostResolver() throws IOException {
    resolver = HostResolver.forInterpreter(LdSoOracle.LD_SO).resolver();
  }

  @BeforeEach
  void sources() throws IOException {
    Files.writeString(tmp.resolve("main.c"), "int main(void) { return 0; }\n");
    Files.writeString(tmp.resolve("lib.c"), "int f(void) { return 1; }\n");
  }

  @Test
  void rpathOfExecutable_appliesToDependenciesOfItsDependencies() throws Exception {
    Path b = lib("b/libb.so", "libb.so");
    Path a = lib("a/liba.so", "liba.so", "-L" + b.getParent(), "-lb");
    Path main = exe("main", "-Wl,--disable-new-dtags,-rpath," + a.getParent() + ":" + b.getParent(),
        "-L" + a.getParent(), "-la");
    List<LdSoOracle.Line> lines = assertAgrees(main, List.of());
    assertTrue(lines.contains(new LdSoOracle.Line("libb.so", b.getParent() + "/libb.so")), lines::toString);
  }

  @Test
  void runpathOfExecutable_doesNotApplyToDependenciesOfItsDependencies() throws Exception {
    Path b = lib("b/libb.so", "libb.so");
    Path a = lib("a/liba.so", "liba.so", "-L" + b.getParent(), "-lb");
    Path main = exe("main", "-Wl,--enable-new-dtags,-rpath," + a.getParent() + ":" + b.getParent(),
        "-L" + a.getParent(), "-la");
    MissingLibraryException e = assertMissingAgrees(main, List.of());
    assertEquals("libb.so", e.library());
    assertEquals(a.toString(), e.neededBy());
  }

  @Test
  void originAndDotDot_expandAgainstTheObjectsDirectory() throws Exception {
    Path a = lib("app/lib/liba.so", "liba.so");
    Files.createDirectories(tmp.resolve("app/bin"));
    Path main = exe("app/bin/main", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib", "-L" + a.getParent(), "-la");
    List<LdSoOracle.Line> lines = assertAgrees(main, List.of());
    assertTrue(lines.contains(new LdSoOracle.Line("liba.so", tmp + "/app/bin/../lib/liba.so")), lines::toString);
  }

  @Test
  void libAndPlatformTokens_expandLikeTheLoader() throws Exception {
    LoaderProfile p = resolver.profile();
    Path a = lib("t/" + p.libDst() + "/" + p.platformDst() + "/liba.so", "liba.so");
    Path main = exe("main", "-Wl,--disable-new-dtags,-rpath," + tmp + "/t/$LIB/${PLATFORM}", "-L" + a.getParent(), "-la");
    List<LdSoOracle.Line> lines = assertAgrees(main, List.of());
    assertTrue(lines.contains(new LdSoOracle.Line("liba.so", a.toString())), lines::toString);
  }

  @Test
  void ldLibraryPath_winsOverTheCacheAndPrefersSupportedHwcapsSubdirectories() throws Exception {
    Path main = exe("main", "-Wl,--no-as-needed", ZLIB);
    Path plain = copy(ZLIB, "llp/libz.so.1");
    assertEquals(new LdSoOracle.Line("libz.so.1", plain.toString()), assertAgrees(main, List.of(tmp + "/llp")).get(0));
    String level = resolver.profile().hwcapsByPriority().get(resolver.profile().hwcapsByPriority().size() - 1);
    Path hwcaps = copy(ZLIB, "llp/glibc-hwcaps/" + level + "/libz.so.1");
    assertEquals(new LdSoOracle.Line("libz.so.1", hwcaps.toString()), assertAgrees(main, List.of(tmp + "/llp")).get(0));
  }

  @Test
  void candidateOfTheWrongElfClass_isSkipped() throws Exception {
    Path main = exe("main", "-Wl,--no-as-needed", ZLIB);
    byte[] elf32 = new byte[64];
    elf32[0] = 0x7f;
    elf32[1] = 'E';
    elf32[2] = 'L';
    elf32[3] = 'F';
    elf32[4] = 1;  // ELFCLASS32
    elf32[5] = 1;
    elf32[6] = 1;
    Files.createDirectories(tmp.resolve("bad"));
    Files.write(tmp.resolve("bad/libz.so.1"), elf32);
    Path good = copy(ZLIB, "good/libz.so.1");
    List<LdSoOracle.Line> lines = assertAgrees(main, List.of(tmp + "/bad", tmp + "/good"));
    assertEquals(new LdSoOracle.Line("libz.so.1", good.toString()), lines.get(0));
  }

  @Test
  void twoNamesForOneFile_loadOnce() throws Exception {
    Path one = lib("l/libone.so", null);
    Files.createLink(tmp.resolve("l/libtwo.so"), one);
    Path main = exe("main", "-Wl,--no-as-needed", "-L" + one.getParent(), "-lone", "-ltwo",
        "-Wl,-rpath," + one.getParent());
    List<LdSoOracle.Line> lines = assertAgrees(main, List.of());
    assertEquals(1, lines.stream().filter(l -> l.path().startsWith(one.getParent().toString())).count(), lines::toString);
  }

  @Test
  void neededNameWithSlash_isOpenedAsIs() throws Exception {
    Path noSoname = lib("l/libplain.so", null);
    Path main = exe("main", "-Wl,--no-as-needed", noSoname.toString());
    List<LdSoOracle.Line> lines = assertAgrees(main, List.of());
    assertEquals(new LdSoOracle.Line(noSoname.toString(), noSoname.toString()), lines.get(0));
  }

  @Test
  void nodeflib_skipsTheCacheAndDefaultDirectories() throws Exception {
    Path main = exe("main", "-Wl,-z,nodefaultlib", "-Wl,--no-as-needed", ZLIB);
    MissingLibraryException e = assertMissingAgrees(main, List.of());
    assertTrue(e.getMessage().contains("DF_1_NODEFLIB"), e::getMessage);
  }

  @Test
  void missingLibrary_namesWhoNeedsItAndEveryPlaceTried() throws Exception {
    Path nope = lib("gone/libnope.so", "libnope.so");
    Path main = exe("main", "-Wl,--no-as-needed", "-L" + nope.getParent(), "-lnope",
        "-Wl,--disable-new-dtags,-rpath," + tmp + "/rp");
    Files.delete(nope);
    MissingLibraryException e = assertMissingAgrees(main, List.of(tmp + "/llp"));
    assertEquals("libnope.so", e.library());
    assertEquals(main.toString(), e.neededBy());
    String m = e.getMessage();
    assertTrue(m.contains(tmp + "/rp/ (RPATH of " + main + ")"), m);
    assertTrue(m.contains(tmp + "/llp/ (LD_LIBRARY_PATH)"), m);
    assertTrue(m.contains("ld.so.cache (no entry)"), m);
    assertTrue(m.contains("/usr/lib/ (default directories)"), m);
    assertTrue(!m.contains("\n"), "one line: " + m);
  }

  private List<LdSoOracle.Line> assertAgrees(Path program, List<String> llp) throws Exception {
    LdSoOracle.Listing oracle = LdSoOracle.list(program.toString(), env(llp));
    assertEquals(0, oracle.exitStatus(), oracle::raw);
    List<LdSoOracle.Line> ours = LdSoOracle.render(resolver.open(program.toString(), llp, "/").resolution());
    assertEquals(oracle.lines(), ours);
    return ours;
  }

  private MissingLibraryException assertMissingAgrees(Path program, List<String> llp) throws Exception {
    LdSoOracle.Listing oracle = LdSoOracle.list(program.toString(), env(llp));
    String firstMissing = oracle.firstMissing();
    assertTrue(firstMissing != null, () -> "ld.so found everything:\n" + oracle.raw());
    MissingLibraryException e = assertThrows(MissingLibraryException.class,
        () -> resolver.open(program.toString(), llp, "/"));
    assertEquals(firstMissing, e.library());
    return e;
  }

  private static Map<String, String> env(List<String> llp) {
    return llp.isEmpty() ? Map.of() : Map.of("LD_LIBRARY_PATH", String.join(":", llp));
  }

  private Path lib(String relative, String soname, String... flags) throws Exception {
    Path out = tmp.resolve(relative);
    Files.createDirectories(out.getParent());
    List<String> cmd = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-o", out.toString(), tmp + "/lib.c"));
    if (soname != null) {
      cmd.add("-Wl,-soname," + soname);
    }
    cmd.add("-Wl,--no-as-needed");
    cmd.addAll(List.of(flags));
    run(cmd);
    return out;
  }

  private Path exe(String relative, String... flags) throws Exception {
    Path out = tmp.resolve(relative);
    List<String> cmd = new ArrayList<>(List.of("gcc", "-o", out.toString(), tmp + "/main.c", "-Wl,--no-as-needed"));
    cmd.addAll(List.of(flags));
    run(cmd);
    return out;
  }

  private Path copy(String from, String relative) throws IOException {
    Path out = tmp.resolve(relative);
    Files.createDirectories(out.getParent());
    Files.copy(Path.of(from), out);
    return out;
  }

  private static void run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gcc hung");
    assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + "\n" + out);
  }
}
