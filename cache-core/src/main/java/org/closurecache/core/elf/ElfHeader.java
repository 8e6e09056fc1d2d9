package org.closurecache.core.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The parts of the ELF header (Elf32_Ehdr / Elf64_Ehdr) needed to find the program headers.
 * Offsets hold the raw field bits: an ELF64 value above {@link Long#MAX_VALUE} is negative here,
 * and {@link ElfInput#contains} rejects it like any other offset past the end of the file.
 */
record ElfHeader(
    ElfClass elfClass, ByteOrder byteOrder, int type, int machine, long phoff, int phentsize,
    int phnum) {

  static final int EI_NIDENT = 16;
  private static final int EV_CURRENT = 1;
  private static final int ELF32_EHDR_SIZE = 52;
  private static final int ELF64_EHDR_SIZE = 64;
  private static final int ELF32_PHDR_SIZE = 32;
  private static final int ELF64_PHDR_SIZE = 56;

  static boolean hasMagic(ByteBuffer bytes) {
    return bytes.remaining() >= 4
        && bytes.get(0) == 0x7f
        && bytes.get(1) == 'E'
        && bytes.get(2) == 'L'
        && bytes.get(3) == 'F';
  }

  /** Reads and validates the header; also sets the input's byte order for all later reads. */
  static ElfHeader read(ElfInput in) throws IOException {
    long size = in.size();
    if (size < 4) {
      throw in.fail("not an ELF file (only " + size + " bytes long)");
    }
    if (!hasMagic(in.read(0, 4, "ELF magic"))) {
      throw in.fail("not an ELF file (bad magic)");
    }
    if (size < EI_NIDENT) {
      throw in.fail("truncated ELF header: the file is only " + size + " bytes long");
    }
    ByteBuffer ident = in.read(0, EI_NIDENT, "ELF identification");
    ElfClass elfClass = switch (ident.get(4)) {
      case 1 -> ElfClass.ELF32;
      case 2 -> ElfClass.ELF64;
      default -> throw in.fail("unknown ELF class (EI_CLASS = " + ident.get(4) + ")");
    };
    ByteOrder order = switch (ident.get(5)) {
      case 1 -> ByteOrder.LITTLE_ENDIAN;
      case 2 -> ByteOrder.BIG_ENDIAN;
      default -> throw in.fail("unknown ELF data encoding (EI_DATA = " + ident.get(5) + ")");
    };
    // glibc's loader refuses any other version, so a file claiming one is not loadable anyway.
    if (ident.get(6) != EV_CURRENT) {
      throw in.fail("unsupported ELF version (EI_VERSION = " + ident.get(6) + ")");
    }
    in.order(order);

    boolean is64 = elfClass == ElfClass.ELF64;
    int ehsize = is64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
    if (size < ehsize) {
      throw in.fail("truncated ELF header: " + elfClass + " needs " + ehsize
          + " bytes but the file is only " + size + " bytes long");
    }
    ByteBuffer h = in.read(0, ehsize, "ELF header");
    int type = Short.toUnsignedInt(h.getShort(16));
    int machine = Short.toUnsignedInt(h.getShort(18));
    long phoff = is64 ? h.getLong(32) : Integer.toUnsignedLong(h.getInt(28));
    int phentsize = Short.toUnsignedInt(h.getShort(is64 ? 54 : 42));
    int phnum = Short.toUnsignedInt(h.getShort(is64 ? 56 : 44));

    int expectedPhentsize = is64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
    // The loader indexes program headers by sizeof(Phdr) and rejects any other stride; accepting
    // a smaller one here would read fields from the next entry.
    if (phnum > 0 && phentsize != expectedPhentsize) {
      throw in.fail("e_phentsize is " + phentsize + " but " + elfClass + " program headers are "
          + expectedPhentsize + " bytes");
    }
    return new ElfHeader(elfClass, order, type, machine, phoff, phentsize, phnum);
  }

  boolean is64() {
    return elfClass == ElfClass.ELF64;
  }

  /** Reads an address-sized (Elf32_Addr/Off or Elf64_Addr/Off/Xword) field as raw 64 bits. */
  long word(ByteBuffer buffer, int index) {
    return is64() ? buffer.getLong(index) : Integer.toUnsignedLong(buffer.getInt(index));
  }
}
