package org.closurecache.core.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.closurecache.core.elf.ElfFile;
import org.closurecache.core.elf.ElfReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The resolver against glibc itself: for real programs on this machine, the libraries and their
 * order must equal what {@code ld.so --list} prints, path for path.
 */
class LdSoOracleTest {
  /** Programs named by the foundation issue and more; the real file is listed, as the kernel would. */
  static final List<String> NAMED = List.of(
      "/usr/bin/python3", "/usr/bin/git", "/usr/bin/perl", "/bin/bash", "/usr/bin/curl", "/usr/bin/ssh",
      "/usr/bin/openssl", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
      "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
      "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java", "/usr/lib/jvm/temurin-25-jdk-amd64/lib/server/libjvm.so",
      "/usr/lib/jvm/java-17-openjdk-amd64/lib/libjli.so",
      "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus", "/usr/bin/gcc",
      "/usr/bin/make", "/usr/bin/tar", "/usr/bin/gzip", "/usr/bin/cmake", "/usr/lib/postgresql/15/bin/psql", "/usr/bin/gdb",
      "/usr/bin/tclsh", "/usr/bin/node", "/usr/bin/vim", "/usr/bin/strace", "/usr/bin/ssh-keygen",
      "/usr/bin/sqlite3", "/usr/bin/ls", "/usr/bin/find", "/usr/bin/sort", "/usr/bin/xz", "/usr/bin/gpg",
      "/usr/bin/wget", "/usr/bin/tmux", "/usr/bin/ld.bfd", "/usr/bin/objdump");

  static LibraryResolver resolver;

  @BeforeAll
  static void hostResolver() throws IOException {
    HostResolver.Built built = HostResolver.forInterpreter(LdSoOracle.LD_SO);
    assertTrue(built.warning().isEmpty(), () -> "probing the host loader failed: " + built.warning().get());
    resolver = built.resolver();
  }

  @TestFactory
  Stream<DynamicTest> resolve_onNamedRealPrograms_equalsLdSoList() {
    return NAMED.stream().filter(p -> Files.exists(Path.of(p)))
        .map(p -> DynamicTest.dynamicTest(p, () -> {
          String real = Path.of(p).toRealPath().toString();
          LdSoOracle.Listing oracle = LdSoOracle.list(real, Map.of());
          assertEquals(0, oracle.exitStatus(), () -> "ld.so --list failed:\n" + oracle.raw());
          List<LdSoOracle.Line> ours = LdSoOracle.render(
              resolver.open(real, List.of(), "/").resolution());
          assertEquals(oracle.lines(), ours, () -> "resolver disagrees with ld.so --list " + real);
        }));
  }

  @Test
  void namedPrograms_atLeastTwentyArePresent() {
    long present = NAMED.stream().filter(p -> Files.exists(Path.of(p))).count();
    assertTrue(present >= 20, "only " + present + " of the named programs exist on this machine");
  }

  /**
   * Every dynamically linked ELF file in the system's program directories and the JDKs: the
   * resolver agrees with the loader, or both find the same first library missing.
   */
  @Test
  void resolve_onEveryDynamicProgramOfTheSystem_equalsLdSoList() throws Exception {
    List<Path> files = new ArrayList<>();
    for (String dir : List.of("/usr/bin", "/usr/sbin", "/usr/libexec")) {
      collect(Path.of(dir), 1, files);
    }
    for (String jdk : List.of("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/temurin-25-jdk-amd64")) {
      collect(Path.of(jdk, "bin"), 1, files);
      collect(Path.of(jdk, "lib"), 2, files);
    }
    int compared = 0;
    int missingAgreed = 0;
    int unlistable = 0;
    List<String> disagreements = new ArrayList<>();
    for (Path file : files) {
      String real = file.toRealPath().toString();
      ElfFile elf;
      try {
        elf = ElfReader.read(Path.of(real));
      } catch (IOException e) {
        continue;
      }
      if (!elf.dynamic() || elf.machine() != ElfFile.EM_X86_64 || (elf.interpreter().isEmpty() && elf.type() != 3)) {
        continue;
      }
      LdSoOracle.Listing oracle = LdSoOracle.list(real, Map.of());
      if (oracle.exitStatus() > 128 || oracle.lines().isEmpty() && !oracle.hasMissing()) {
        unlistable++;  // the loader itself crashed or refused (static-pie, odd objects): no oracle
        continue;
      }
      try {
        List<LdSoOracle.Line> ours = LdSoOracle.render(resolver.open(real, List.of(), "/").resolution());
        if (oracle.hasMissing()) {
          disagreements.add(real + ": ld.so finds a library missing, the resolver does not");
        } else if (!oracle.lines().equals(ours)) {
          disagreements.add(real + ":\n  ld.so: " + oracle.lines() + "\n  ours:  " + ours);
        } else {
          compared++;
        }
      } catch (MissingLibraryException e) {
        String firstMissing = oracle.firstMissing();
        if (e.library().equals(firstMissing)) {
          missingAgreed++;
        } else {
          disagreements.add(real + ": resolver misses " + e.library() + ", ld.so misses " + firstMissing);
        }
      }
    }
    System.out.printf("oracle sweep: %d agree, %d agree on a missing library, %d not listable by ld.so, %d disagree%n",
        compared, missingAgreed, unlistable, disagreements.size());
    if (!disagreements.isEmpty()) {
      fail(disagreements.size() + " files disagree with ld.so --list:\n" + String.join("\n", disagreements));
    }
    assertTrue(compared >= 300, "the sweep compared only " + compared + " files");
  }

  private static void collect(Path dir, int depth, List<Path> out) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir, depth)) {
      s.filter(Files::isRegularFile).filter(LdSoOracleTest::isElf).sorted().forEach(out::add);
    }
  }

  private static boolean isElf(Path p) {
    try {
      return ElfReader.isElf(p);
    } catch (IOException e) {
      return false;
    }
  }
}
