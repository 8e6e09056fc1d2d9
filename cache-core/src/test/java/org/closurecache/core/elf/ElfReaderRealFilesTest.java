package org.closurecache.core.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Real binaries on this (Debian x86_64) machine, checked field by field against readelf. */
class ElfReaderRealFilesTest {
  private static final int SWEEP_LIMIT = 300;
  private static final int READELF_BATCH = 50;

  @BeforeAll
  static void needsReadelf() {
    assertTrue(Readelf.available(), "readelf (binutils) is not installed");
  }

  static Stream<String> knownBinaries() {
    return Stream.of(
        "/usr/bin/python3",
        "/usr/bin/git",
        "/bin/bash",
        "/usr/bin/perl",
        "/usr/bin/expr", // DT_RUNPATH on Debian 12
        "/usr/bin/apropos", // DT_RUNPATH
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/ld-linux-x86-64.so.2", // the loader itself: no PT_INTERP, has a soname
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1", // large, DT_RUNPATH
        "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", // DT_RPATH with $ORIGIN
        "/usr/lib/jvm/java-17-openjdk-amd64/lib/libjli.so",
        "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
        "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
        "/usr/lib/jvm/temurin-25-jdk-amd64/lib/server/libjvm.so",
        "/sbin/ldconfig"); // static-pie: PT_DYNAMIC but no DT_NEEDED
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("knownBinaries")
  void read_whenRealBinary_agreesWithReadelfOnEveryField(String name) throws IOException {
    Path path = Path.of(name);
    assumeTrue(Files.exists(path), name + " is not installed here");
    Path real = path.toRealPath();

    ElfFile actual = ElfReader.read(real);

    assertEquals(Readelf.describe(real), actual, real.toString());
    assertEquals(ElfFile.EM_X86_64, actual.machine());
    assertEquals(ElfClass.ELF64, actual.elfClass());
    assertEquals(ByteOrder.LITTLE_ENDIAN, actual.byteOrder());
  }

  @Test
  void read_whenJavaLauncher_findsOriginRpathAndLibz() throws IOException {
    Path java = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
    assumeTrue(Files.exists(java));

    ElfFile elf = ElfReader.read(java);

    assertEquals(Optional.of("/lib64/ld-linux-x86-64.so.2"), elf.interpreter());
    assertEquals(Optional.of("$ORIGIN:$ORIGIN/../lib"), elf.rpath());
    assertTrue(elf.needed().contains("libjli.so"), elf.needed().toString());
  }

  @Test
  void read_whenLibc_reportsItsSonameAndNoInterpreterDependency() throws IOException {
    Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6");
    assertTrue(Files.exists(libc));

    ElfFile elf = ElfReader.read(libc);

    assertEquals(Optional.of("libc.so.6"), elf.soname());
    assertEquals(ElfFile.ET_DYN, elf.type());
    assertTrue(elf.dynamic());
  }

  @Test
  void read_whenStaticPie_isDynamicWithoutDependencies() throws IOException {
    Path ldconfig = Path.of("/sbin/ldconfig");
    assertTrue(Files.exists(ldconfig));
    assumeTrue(Readelf.describe(ldconfig.toRealPath()).needed().isEmpty());

    ElfFile elf = ElfReader.read(ldconfig);

    assertEquals(List.of(), elf.needed());
    assertEquals(Optional.empty(), elf.interpreter());
  }

  @Test
  void sweep_everyElfInUsrBin_agreesWithReadelf() throws IOException {
    List<Path> elves = new ArrayList<>();
    try (Stream<Path> listing = Files.list(Path.of("/usr/bin"))) {
      for (Path p : listing.sorted().toList()) {
        if (elves.size() >= SWEEP_LIMIT) {
          break;
        }
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isReadable(p)
            && ElfReader.isElf(p)) {
          elves.add(p);
        }
      }
    }
    assumeTrue(!elves.isEmpty(), "no ELF files in /usr/bin");

    List<String> mismatches = new ArrayList<>();
    for (int from = 0; from < elves.size(); from += READELF_BATCH) {
      List<Path> batch = elves.subList(from, Math.min(elves.size(), from + READELF_BATCH));
      Map<Path, ElfFile> expected = Readelf.describeAll(batch);
      for (Path p : batch) {
        ElfFile actual = ElfReader.read(p);
        ElfFile oracle = expected.get(p);
        if (!actual.equals(oracle)) {
          mismatches.add(p + "\n  reader:  " + actual + "\n  readelf: " + oracle);
        }
      }
    }
    System.out.println("ELF sweep: " + elves.size() + " files in /usr/bin agree with readelf");
    assertEquals(List.of(), mismatches);
  }

  // ---- files built here, to cover RUNPATH, NODEFLIB, SONAME and true static linking ----

  @Test
  void read_whenBuiltWithRunpathNodeflibAndSoname_agreesWithReadelf(@TempDir Path dir)
      throws IOException {
    assertTrue(gccWorks(dir), "gcc is not usable");
    Path src = Files.writeString(dir.resolve("demo.c"), "int demo(void) { return 42; }\n");
    Path lib = dir.resolve("libdemo.so");
    assertTrue(run(dir, "gcc", "-shared", "-fPIC", "-o", lib.toString(), src.toString(),
        "-Wl,-soname,libdemo.so.1", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib:/opt/x",
        "-Wl,-z,nodelete"));
    // GNU ld ignores -z nodeflib, so set DF_1_NODEFLIB in the DT_FLAGS_1 that -z nodelete made.
    setFlags1Bits(lib, DynamicSection.DF_1_NODEFLIB);

    ElfFile elf = ElfReader.read(lib);

    assertEquals(Optional.of("libdemo.so.1"), elf.soname());
    assertEquals(Optional.of("$ORIGIN/../lib:/opt/x"), elf.runpath());
    assertEquals(Optional.empty(), elf.rpath());
    assertTrue(elf.noDefaultLib());
    assertEquals(Readelf.describe(lib), elf);
  }

  @Test
  void read_whenBuiltWithOldStyleRpath_keepsNeededOrder(@TempDir Path dir) throws IOException {
    assertTrue(gccWorks(dir), "gcc is not usable");
    Path src = Files.writeString(dir.resolve("main.c"), "int main(void) { return 0; }\n");
    Path exe = dir.resolve("main");
    assertTrue(run(dir, "gcc", "-o", exe.toString(), src.toString(), "-Wl,--no-as-needed",
        "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/lib", "-lm", "-lpthread", "-ldl"));

    ElfFile elf = ElfReader.read(exe);

    assertEquals(Optional.of("$ORIGIN/lib"), elf.rpath());
    assertEquals(Optional.empty(), elf.runpath());
    assertFalse(elf.noDefaultLib());
    assertEquals(Readelf.describe(exe), elf);
    assertEquals(List.of("libm.so.6", "libc.so.6"),
        elf.needed().stream().filter(n -> n.startsWith("libm") || n.startsWith("libc")).toList());
  }

  @Test
  void read_whenStaticallyLinked_isNotDynamic(@TempDir Path dir) throws IOException {
    assertTrue(gccWorks(dir), "gcc is not usable");
    Path src = Files.writeString(dir.resolve("static.c"), "int main(void) { return 0; }\n");
    Path exe = dir.resolve("static");
    assertTrue(run(dir, "gcc", "-static", "-o", exe.toString(), src.toString()),
        "static libc is not installed");

    ElfFile elf = ElfReader.read(exe);

    assertFalse(elf.dynamic());
    assertEquals(List.of(), elf.needed());
    assertEquals(Optional.empty(), elf.interpreter());
    assertEquals(Readelf.describe(exe), elf);
  }

  /** ORs {@code bits} into the DT_FLAGS_1 entry of a little-endian ELF64 file, in place. */
  private static void setFlags1Bits(Path file, long bits) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ElfInput in = new ElfInput(ch, file.toString());
      ElfHeader header = ElfHeader.read(in);
      ProgramHeader dynamic = ProgramHeader.readAll(in, header).stream()
          .filter(p -> p.type() == ProgramHeader.PT_DYNAMIC).findFirst().orElseThrow();
      ByteBuffer entries = in.read(dynamic.offset(), (int) dynamic.filesz(), "dynamic");
      for (int at = 0; at + 16 <= entries.limit(); at += 16) {
        if (entries.getLong(at) == DynamicSection.DT_FLAGS_1) {
          ByteBuffer value = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
          value.putLong(0, entries.getLong(at + 8) | bits);
          ch.write(value, dynamic.offset() + at + 8);
          return;
        }
      }
      fail("no DT_FLAGS_1 in " + file);
    }
  }

  private static boolean gccWorks(Path dir) {
    return run(dir, "gcc", "--version");
  }

  private static boolean run(Path dir, String... command) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("timed out: " + String.join(" ", command));
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
