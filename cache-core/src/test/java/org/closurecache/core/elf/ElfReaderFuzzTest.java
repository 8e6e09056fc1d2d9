package org.closurecache.core.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Mutates real and synthetic ELF files and checks that every read either succeeds or ends in
 * {@link ElfFormatException}, quickly. Reproduce a failure with
 * {@code -Dclosurecache.fuzz.seed=<seed>}; the failing iteration is in the message.
 */
class ElfReaderFuzzTest {
  private static final long DEFAULT_SEED = 0x5EED_E1F0L;
  private static final int DEFAULT_ITERATIONS = 3000;
  private static final Duration PER_READ_LIMIT = Duration.ofSeconds(1);

  private static final List<String> REAL_SOURCES = List.of(
      "/bin/bash",
      "/usr/bin/git",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
      "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
      "/usr/lib/jvm/java-17-openjdk-amd64/lib/libjli.so",
      "/sbin/ldconfig");

  /** A seed file plus the byte ranges worth aiming at (header, phdrs, interp, dynamic, strtab). */
  private record Source(String name, byte[] bytes, ByteOrder order, List<long[]> regions) {}

  @Test
  void read_whenInputIsMutated_returnsOrThrowsElfFormatExceptionWithinOneSecond()
      throws IOException {
    long seed = Long.getLong("closurecache.fuzz.seed", DEFAULT_SEED);
    int iterations = intProperty("closurecache.fuzz.iterations", DEFAULT_ITERATIONS);
    List<Source> sources = sources();
    System.out.printf("ELF fuzz: seed=0x%x iterations=%d sources=%d%n", seed, iterations,
        sources.size());

    long[] stats = assertTimeoutPreemptively(Duration.ofSeconds(120),
        () -> fuzz(seed, iterations, sources));

    System.out.printf("ELF fuzz: %d parsed, %d rejected, slowest read %.1f ms%n", stats[0],
        stats[1], stats[2] / 1e6);
    assertTrue(stats[1] > 0, "no mutation was ever rejected: the fuzzer is not biting");
  }

  private static long[] fuzz(long seed, int iterations, List<Source> sources) {
    long parsed = 0;
    long rejected = 0;
    long slowest = 0;
    for (int i = 0; i < iterations; i++) {
      // One Random per iteration, so a failing iteration can be replayed alone.
      Random random = new Random(seed ^ (i * 0x9E3779B97F4A7C15L));
      Source source = sources.get(random.nextInt(sources.size()));
      List<String> applied = new ArrayList<>();
      NavigableMap<Long, Byte> patches = new TreeMap<>();
      long length = mutate(random, source, patches, applied);

      long start = System.nanoTime();
      try {
        ElfReader.read(new ByteArrayChannel(source.bytes(), length, patches), source.name());
        parsed++;
      } catch (ElfFormatException expected) {
        rejected++;
      } catch (Throwable t) {
        // In-memory channels cannot fail, so any other IOException is a bug as well.
        throw new AssertionError(String.format("seed=0x%x iteration=%d source=%s mutations=%s",
            seed, i, source.name(), applied), t);
      }
      long elapsed = System.nanoTime() - start;
      slowest = Math.max(slowest, elapsed);
      if (elapsed > PER_READ_LIMIT.toNanos()) {
        fail(String.format("read took %d ms: seed=0x%x iteration=%d source=%s mutations=%s",
            elapsed / 1_000_000, seed, i, source.name(), applied));
      }
    }
    return new long[] {parsed, rejected, slowest};
  }

  /** Applies 1-4 mutations as patches; returns the (possibly truncated) length. */
  private static long mutate(Random random, Source source, NavigableMap<Long, Byte> patches,
      List<String> applied) {
    long size = source.bytes().length;
    long length = size;
    int count = 1 + random.nextInt(4);
    for (int m = 0; m < count; m++) {
      long[] region = source.regions().get(random.nextInt(source.regions().size()));
      long span = Math.max(1, region[1] - region[0]);
      long at = region[0] + (long) (random.nextDouble() * span);
      switch (random.nextInt(10)) {
        case 0, 1, 2 -> {
          byte flip = (byte) (1 + random.nextInt(255));
          patch(patches, source.bytes(), at, flip);
          applied.add("flip@" + at);
        }
        case 3 -> {
          // Truncate near an interesting offset, or anywhere.
          length = random.nextBoolean()
              ? Math.max(0, Math.min(size, at + random.nextInt(17) - 8))
              : (long) (random.nextDouble() * size);
          applied.add("truncate@" + length);
        }
        default -> {
          int width = new int[] {2, 4, 8}[random.nextInt(3)];
          long aligned = at - Math.floorMod(at, width);
          long value = extreme(random, size);
          ByteBuffer b = ByteBuffer.allocate(8).order(random.nextInt(8) == 0
              ? ByteOrder.BIG_ENDIAN : source.order());
          if (b.order() == ByteOrder.LITTLE_ENDIAN) {
            b.putLong(0, value);
          } else {
            b.putLong(0, value << (64 - 8 * width)); // keep the low bytes, as a narrow field would
          }
          for (int k = 0; k < width && aligned + k < size; k++) {
            patches.put(aligned + k, b.get(k));
          }
          applied.add("put" + width + "@" + aligned + "=" + Long.toHexString(value));
        }
      }
    }
    return Math.min(length, size);
  }

  private static void patch(NavigableMap<Long, Byte> patches, byte[] base, long at, byte xor) {
    if (at < 0 || at >= base.length) {
      return;
    }
    byte current = patches.getOrDefault(at, base[(int) at]);
    patches.put(at, (byte) (current ^ xor));
  }

  private static long extreme(Random random, long size) {
    long[] values = {
        0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, 0xFFFF_FFFFL, 0x8000_0000L,
        0xFFFF, 0x7FFF, size, size - 1, size + 1, size / 2, 1L << 40, 1L << 20,
        DynamicSection.DT_NEEDED, DynamicSection.DT_STRTAB, DynamicSection.DT_STRSZ,
        DynamicSection.DT_RPATH, DynamicSection.DT_RUNPATH, DynamicSection.DT_FLAGS_1,
        ProgramHeader.PT_LOAD, ProgramHeader.PT_DYNAMIC, ProgramHeader.PT_INTERP
    };
    return random.nextInt(6) == 0 ? random.nextLong() : values[random.nextInt(values.length)];
  }

  // ---- seed files ----

  private static List<Source> sources() throws IOException {
    List<Source> sources = new ArrayList<>();
    for (String name : REAL_SOURCES) {
      Path path = Path.of(name);
      if (Files.isRegularFile(path)) {
        sources.add(source(path.toRealPath().toString(), Files.readAllBytes(path)));
      }
    }
    sources.add(source("synthetic-elf32-be", new ElfBuilder(ElfClass.ELF32, ByteOrder.BIG_ENDIAN)
        .interpreter("/lib/ld.so.1").needed("liba.so").needed("libb.so").soname("self.so")
        .rpath("$ORIGIN").runpath("/opt/lib").flags1(0x800).build().bytes));
    sources.add(source("synthetic-elf64-le", ElfBuilder.elf64()
        .interpreter("/lib64/ld-linux-x86-64.so.2").needed("libc.so.6").runpath("$ORIGIN/../lib")
        .build().bytes));
    return sources;
  }

  /** Finds the structures in an unmutated file with the reader's own package-private parts. */
  private static Source source(String name, byte[] bytes) throws IOException {
    ElfInput in = new ElfInput(new ByteArrayChannel(bytes), name);
    ElfHeader header = ElfHeader.read(in);
    List<ProgramHeader> segments = ProgramHeader.readAll(in, header);
    List<long[]> regions = new ArrayList<>();
    regions.add(new long[] {0, header.is64() ? 64 : 52});
    regions.add(new long[] {0, Math.min(bytes.length, 64 * 1024)});
    regions.add(new long[] {header.phoff(), header.phoff() + (long) header.phnum()
        * header.phentsize()});
    for (ProgramHeader segment : segments) {
      if (segment.type() == ProgramHeader.PT_INTERP || segment.type() == ProgramHeader.PT_DYNAMIC) {
        regions.add(new long[] {segment.offset(), segment.offset() + segment.filesz()});
      }
      if (segment.type() == ProgramHeader.PT_DYNAMIC) {
        DynamicSection dynamic = DynamicSection.read(in, header, segment);
        if (dynamic.strtab().isPresent()) {
          long address = dynamic.strtab().getAsLong();
          for (ProgramHeader load : segments) {
            if (load.type() == ProgramHeader.PT_LOAD && load.containsAddress(address)) {
              long start = load.offset() + (address - load.vaddr());
              regions.add(new long[] {start, Math.min(bytes.length, start + 4096)});
              break;
            }
          }
        }
      }
    }
    // The unmutated file must parse, or the fuzzer would only be testing the rejection path.
    assertEquals(header.elfClass(), ElfReader.read(new ByteArrayChannel(bytes), name).elfClass());
    return new Source(name, bytes, header.byteOrder(), regions);
  }

  private static int intProperty(String name, int fallback) {
    String value = System.getProperty(name);
    try {
      return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
