package org.closurecache.core.elf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds small synthetic ELF files of either class and byte order, so paths real files on this
 * machine never take (ELF32, big-endian) and hostile layouts can be tested.
 *
 * <p>Layout: ELF header, program headers [PT_LOAD covering the whole file, PT_INTERP?,
 * PT_DYNAMIC?], interpreter string, string table, dynamic entries. The PT_LOAD maps offset 0 at
 * {@link #BASE}.
 */
final class ElfBuilder {
  static final long BASE = 0x400000;

  private final ElfClass elfClass;
  private final ByteOrder order;
  private int machine = ElfFile.EM_X86_64;
  private int type = ElfFile.ET_DYN;
  private String interpreter;
  private boolean dynamic = true;
  private boolean autoStrtab = true;
  private boolean terminate = true;
  private byte[] rawStrtab;
  private final ByteArrayOutputStream strtab = new ByteArrayOutputStream();
  private final List<long[]> entries = new ArrayList<>();

  ElfBuilder(ElfClass elfClass, ByteOrder order) {
    this.elfClass = elfClass;
    this.order = order;
    strtab.write(0); // offset 0 is the empty string, as in real tables
  }

  static ElfBuilder elf64() {
    return new ElfBuilder(ElfClass.ELF64, ByteOrder.LITTLE_ENDIAN);
  }

  ElfBuilder machine(int machine) {
    this.machine = machine;
    return this;
  }

  ElfBuilder type(int type) {
    this.type = type;
    return this;
  }

  ElfBuilder interpreter(String interpreter) {
    this.interpreter = interpreter;
    return this;
  }

  ElfBuilder noDynamic() {
    this.dynamic = false;
    return this;
  }

  /** Omit the automatic DT_STRTAB/DT_STRSZ so the test can supply its own (or none). */
  ElfBuilder noAutoStrtab() {
    this.autoStrtab = false;
    return this;
  }

  /** Omit the final DT_NULL: entries then run to the end of the segment. */
  ElfBuilder noDtNull() {
    this.terminate = false;
    return this;
  }

  /** Use these bytes as the string table verbatim (DT_STRSZ becomes their length). */
  ElfBuilder rawStrtab(byte[] bytes) {
    this.rawStrtab = bytes.clone();
    return this;
  }

  long string(String s) {
    long offset = strtab.size();
    strtab.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    strtab.write(0);
    return offset;
  }

  ElfBuilder entry(long tag, long value) {
    entries.add(new long[] {tag, value});
    return this;
  }

  ElfBuilder needed(String name) {
    return entry(DynamicSection.DT_NEEDED, string(name));
  }

  ElfBuilder soname(String name) {
    return entry(DynamicSection.DT_SONAME, string(name));
  }

  ElfBuilder rpath(String path) {
    return entry(DynamicSection.DT_RPATH, string(path));
  }

  ElfBuilder runpath(String path) {
    return entry(DynamicSection.DT_RUNPATH, string(path));
  }

  ElfBuilder flags1(long flags) {
    return entry(DynamicSection.DT_FLAGS_1, flags);
  }

  Built build() {
    boolean is64 = elfClass == ElfClass.ELF64;
    int ehsize = is64 ? 64 : 52;
    int phentsize = is64 ? 56 : 32;
    int word = is64 ? 8 : 4;
    int phnum = 1 + (interpreter != null ? 1 : 0) + (dynamic ? 1 : 0);
    int phoff = ehsize;
    int cursor = phoff + phnum * phentsize;

    byte[] interp = interpreter == null ? new byte[0]
        : (interpreter + "\0").getBytes(StandardCharsets.UTF_8);
    int interpOffset = cursor;
    cursor += interp.length;

    byte[] strings = rawStrtab != null ? rawStrtab : strtab.toByteArray();
    int strtabOffset = cursor;
    cursor += strings.length;

    List<long[]> dyn = new ArrayList<>();
    if (autoStrtab) {
      dyn.add(new long[] {DynamicSection.DT_STRTAB, BASE + strtabOffset});
      dyn.add(new long[] {DynamicSection.DT_STRSZ, strings.length});
    }
    dyn.addAll(entries);
    if (terminate) {
      dyn.add(new long[] {DynamicSection.DT_NULL, 0});
    }
    cursor = (cursor + 7) & ~7;
    int dynamicOffset = cursor;
    int dynamicSize = dynamic ? dyn.size() * 2 * word : 0;
    int total = cursor + dynamicSize;

    ByteBuffer b = ByteBuffer.allocate(total).order(order);
    b.put(0, new byte[] {0x7f, 'E', 'L', 'F'});
    b.put(4, (byte) (is64 ? 2 : 1));
    b.put(5, (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2));
    b.put(6, (byte) 1);
    b.putShort(16, (short) type);
    b.putShort(18, (short) machine);
    b.putInt(20, 1);
    Built built = new Built(b.array(), elfClass, order, phoff, strtabOffset, dynamicOffset);
    built.putWord(is64 ? 32 : 28, phoff);
    b.putShort(is64 ? 52 : 40, (short) ehsize);
    b.putShort(is64 ? 54 : 42, (short) phentsize);
    b.putShort(is64 ? 56 : 44, (short) phnum);

    int index = 0;
    built.putPhdr(index++, ProgramHeader.PT_LOAD, 0, BASE, total);
    if (interpreter != null) {
      built.putPhdr(index++, ProgramHeader.PT_INTERP, interpOffset, BASE + interpOffset,
          interp.length);
      b.put(interpOffset, interp);
    }
    if (dynamic) {
      built.dynamicPhdr = index;
      built.putPhdr(index++, ProgramHeader.PT_DYNAMIC, dynamicOffset, BASE + dynamicOffset,
          dynamicSize);
      for (int i = 0; i < dyn.size(); i++) {
        built.putWord(dynamicOffset + i * 2 * word, dyn.get(i)[0]);
        built.putWord(dynamicOffset + i * 2 * word + word, dyn.get(i)[1]);
      }
    }
    b.put(strtabOffset, strings);
    return built;
  }

  /** The built bytes plus where things are, so a test can corrupt specific fields. */
  static final class Built {
    final byte[] bytes;
    final ElfClass elfClass;
    final ByteOrder order;
    final int phoff;
    final int strtabOffset;
    final int dynamicOffset;
    int dynamicPhdr = -1;

    Built(byte[] bytes, ElfClass elfClass, ByteOrder order, int phoff, int strtabOffset,
        int dynamicOffset) {
      this.bytes = bytes;
      this.elfClass = elfClass;
      this.order = order;
      this.phoff = phoff;
      this.strtabOffset = strtabOffset;
      this.dynamicOffset = dynamicOffset;
    }

    boolean is64() {
      return elfClass == ElfClass.ELF64;
    }

    ByteBuffer buffer() {
      return ByteBuffer.wrap(bytes).order(order);
    }

    /** Writes an address-sized field (4 or 8 bytes). */
    Built putWord(int offset, long value) {
      if (is64()) {
        buffer().putLong(offset, value);
      } else {
        buffer().putInt(offset, (int) value);
      }
      return this;
    }

    Built phoffField(long value) {
      return putWord(is64() ? 32 : 28, value);
    }

    Built phnum(int value) {
      buffer().putShort(is64() ? 56 : 44, (short) value);
      return this;
    }

    Built phentsize(int value) {
      buffer().putShort(is64() ? 54 : 42, (short) value);
      return this;
    }

    int phdr(int index) {
      return phoff + index * (is64() ? 56 : 32);
    }

    Built phdrOffset(int index, long value) {
      return putWord(phdr(index) + (is64() ? 8 : 4), value);
    }

    Built phdrVaddr(int index, long value) {
      return putWord(phdr(index) + (is64() ? 16 : 8), value);
    }

    Built phdrFilesz(int index, long value) {
      return putWord(phdr(index) + (is64() ? 32 : 16), value);
    }

    void putPhdr(int index, long type, long offset, long vaddr, long filesz) {
      buffer().putInt(phdr(index), (int) type);
      phdrOffset(index, offset);
      phdrVaddr(index, vaddr);
      putWord(phdr(index) + (is64() ? 24 : 12), vaddr); // p_paddr
      phdrFilesz(index, filesz);
      putWord(phdr(index) + (is64() ? 40 : 20), filesz); // p_memsz
    }

    /** Overwrites the value of the {@code index}-th dynamic entry. */
    Built dynamicValue(int index, long value) {
      int word = is64() ? 8 : 4;
      return putWord(dynamicOffset + index * 2 * word + word, value);
    }
  }
}
