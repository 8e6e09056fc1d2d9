package org.closurecache.core.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The dynamic-section entries that matter for dependency resolution, still as string-table
 * offsets. When a single-valued tag repeats, the last one wins, as in glibc's
 * {@code elf_get_dynamic_info}.
 */
record DynamicSection(
    List<Long> neededOffsets,
    OptionalLong strtab,
    OptionalLong strsz,
    OptionalLong sonameOffset,
    OptionalLong rpathOffset,
    OptionalLong runpathOffset,
    long flags1) {

  static final long DT_NULL = 0;
  static final long DT_NEEDED = 1;
  static final long DT_STRTAB = 5;
  static final long DT_STRSZ = 10;
  static final long DT_SONAME = 14;
  static final long DT_RPATH = 15;
  static final long DT_RUNPATH = 29;
  static final long DT_FLAGS_1 = 0x6ffffffbL;
  static final long DF_1_NODEFLIB = 0x800;

  /** Far more than any real file has (libjvm.so has ~40); stops a DT_NULL-less segment early. */
  static final int MAX_ENTRIES = 1 << 20;
  /**
   * Real files need a few dozen; each name costs a string-table read, so an unbounded count would
   * let a hostile file take seconds.
   */
  static final int MAX_NEEDED = 1 << 16;
  /** Entries read per positional read, so a huge segment is never buffered whole. */
  private static final int ENTRIES_PER_READ = 256;

  DynamicSection {
    neededOffsets = List.copyOf(neededOffsets);
  }

  static DynamicSection read(ElfInput in, ElfHeader header, ProgramHeader segment)
      throws IOException {
    segment.requireInFile(in, "PT_DYNAMIC");
    int entrySize = header.is64() ? 16 : 8;
    // A trailing partial entry is ignored, as the loader would never reach it either.
    long entryCount = Long.divideUnsigned(segment.filesz(), entrySize);

    List<Long> needed = new ArrayList<>();
    Long strtab = null;
    Long strsz = null;
    Long soname = null;
    Long rpath = null;
    Long runpath = null;
    long flags1 = 0;

    long index = 0;
    scan:
    while (index < entryCount) {
      if (index >= MAX_ENTRIES) {
        throw in.fail("PT_DYNAMIC has more than " + MAX_ENTRIES + " entries before DT_NULL");
      }
      int batch = (int) Math.min(ENTRIES_PER_READ, entryCount - index);
      ByteBuffer entries = in.read(segment.offset() + index * entrySize, batch * entrySize,
          "PT_DYNAMIC entries");
      for (int i = 0; i < batch; i++, index++) {
        int base = i * entrySize;
        // d_tag is signed; reading an ELF32 tag as int keeps processor-specific negative tags
        // from colliding with the small positive tags we look for.
        long tag = header.is64() ? entries.getLong(base) : entries.getInt(base);
        long value = header.word(entries, base + entrySize / 2);
        if (tag == DT_NULL) {
          break scan;
        } else if (tag == DT_NEEDED) {
          if (needed.size() == MAX_NEEDED) {
            throw in.fail("PT_DYNAMIC has more than " + MAX_NEEDED + " DT_NEEDED entries");
          }
          needed.add(value);
        } else if (tag == DT_STRTAB) {
          strtab = value;
        } else if (tag == DT_STRSZ) {
          strsz = value;
        } else if (tag == DT_SONAME) {
          soname = value;
        } else if (tag == DT_RPATH) {
          rpath = value;
        } else if (tag == DT_RUNPATH) {
          runpath = value;
        } else if (tag == DT_FLAGS_1) {
          flags1 = value;
        }
      }
    }
    return new DynamicSection(needed, optional(strtab), optional(strsz), optional(soname),
        optional(rpath), optional(runpath), flags1);
  }

  boolean hasStrings() {
    return !neededOffsets.isEmpty()
        || sonameOffset.isPresent()
        || rpathOffset.isPresent()
        || runpathOffset.isPresent();
  }

  boolean noDefaultLib() {
    return (flags1 & DF_1_NODEFLIB) != 0;
  }

  private static OptionalLong optional(Long value) {
    return value == null ? OptionalLong.empty() : OptionalLong.of(value);
  }
}
