package org.closurecache.shim.launch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.closurecache.client.view.TestCache;
import org.closurecache.core.manifest.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuardsTest {
  private static final Path HOST_LOADER = Path.of("/lib64/ld-linux-x86-64.so.2");

  @TempDir Path cacheRoot;

  private Manifest withLibraries(String platform, String... libraryPaths) throws IOException {
    TestCache cache = new TestCache(cacheRoot);
    TestCache.ManifestSpec spec = TestCache.manifest()
        .platform(platform)
        .file("/usr/bin/app", cache.file("\u007fELF app", 0755, 1_700_000_000L))
        .entry("/usr/bin/app");
    for (String p : libraryPaths) {
      spec.file(p, cache.file("library at " + p)).library(p.substring(p.lastIndexOf('/') + 1), p);
    }
    return spec.build();
  }

  @Test
  void nodePlatform_onThisMachine_isX86_64() {
    assertEquals("x86_64-linux-gnu", Guards.nodePlatform());
  }

  @Test
  void requirePlatform_whenTheClosureIsForAnotherMachine_refusesNamingBoth() throws IOException {
    Manifest arm = withLibraries("aarch64-linux-gnu");

    Guards.RefusedException e = assertThrows(Guards.RefusedException.class,
        () -> Guards.requirePlatform(arm, Guards.nodePlatform()));

    assertTrue(e.getMessage().contains("aarch64-linux-gnu"), e.getMessage());
    assertTrue(e.getMessage().contains("x86_64-linux-gnu"), e.getMessage());
    assertDoesNotThrow(() -> Guards.requirePlatform(withLibraries("x86_64-linux-gnu"), Guards.nodePlatform()));
  }

  @Test
  void requiredHwcaps_areTheGlibcHwcapsLevelsInLibraryPaths() throws IOException {
    Manifest m = withLibraries("x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1",
        "/opt/hpc/lib/glibc-hwcaps/x86-64-v2/libblas.so.3",
        "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libzstd.so.1",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/glibc-hwcaps-notes/libnot.so");

    assertEquals(Set.of("x86-64-v2", "x86-64-v3"), Guards.requiredHwcaps(m));
    assertEquals(Set.of(), Guards.requiredHwcaps(withLibraries("x86_64-linux-gnu", "/usr/lib/libc.so.6")));
  }

  @Test
  void requireHwcaps_whenTheCpuLacksALevel_refusesNamingIt() throws IOException {
    Manifest m = withLibraries("x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v4/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1");

    Guards.RefusedException e = assertThrows(Guards.RefusedException.class,
        () -> Guards.requireHwcaps(m, new TreeSet<>(Set.of("x86-64-v2", "x86-64-v3"))));  // as supportedHwcaps answers

    assertTrue(e.getMessage().contains("level(s) x86-64-v4 but"), e.getMessage());
    assertTrue(e.getMessage().contains("supports only x86-64-v2, x86-64-v3"), e.getMessage());
    assertDoesNotThrow(() -> Guards.requireHwcaps(m, Set.of("x86-64-v2", "x86-64-v3", "x86-64-v4")));
    Guards.RefusedException baseline = assertThrows(Guards.RefusedException.class,
        () -> Guards.requireHwcaps(m, Set.of()));
    assertTrue(baseline.getMessage().contains("supports only the baseline"), baseline.getMessage());
  }

  @Test
  void supportedHwcaps_ofTheHostLoader_areWhatItsHelpCallsSupported() throws Exception {
    Set<String> supported = Guards.supportedHwcaps(HOST_LOADER);

    assertTrue(supported.contains("x86-64-v2"), supported.toString());
    assertEquals(levelsFromHelp(), supported);
  }

  /** An independent reading of {@code ld.so --help}: the glibc-hwcaps lines marked supported. */
  private static Set<String> levelsFromHelp() throws Exception {
    Process p = new ProcessBuilder(HOST_LOADER.toString(), "--help").redirectErrorStream(true).start();
    String help = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    String section = help.substring(help.indexOf("Subdirectories of glibc-hwcaps"));
    section = section.substring(0, section.indexOf("\n\n"));
    Set<String> levels = new TreeSet<>();
    for (String line : section.split("\n")) {
      if (line.contains("(supported")) {
        levels.add(line.strip().split(" ")[0]);
      }
    }
    return levels;
  }

  @Test
  void supportedHwcaps_ofAProgramThatIsNoLoader_isEmpty() throws IOException {
    assertEquals(Set.of(), Guards.supportedHwcaps(Path.of("/bin/true")));
  }

  @Test
  void supportedHwcaps_ofAMissingLoader_fails() {
    assertThrows(IOException.class, () -> Guards.supportedHwcaps(Path.of("/nonexistent/ld.so")));
  }
}
