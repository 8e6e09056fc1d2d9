package org.closurecache.core.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of one program header this reader uses. Values are raw bits (see {@link ElfHeader});
 * they are validated only when a segment is actually used, because unused segments of odd shape
 * do not stop the loader either.
 */
record ProgramHeader(long type, long offset, long vaddr, long filesz) {
  static final long PT_LOAD = 1;
  static final long PT_DYNAMIC = 2;
  static final long PT_INTERP = 3;

  static List<ProgramHeader> readAll(ElfInput in, ElfHeader header) throws IOException {
    if (header.phnum() == 0) {
      return List.of();
    }
    // At most 65535 * 56 bytes, and read() checks it against the file size before allocating.
    int tableSize = header.phnum() * header.phentsize();
    ByteBuffer table = in.read(header.phoff(), tableSize,
        "program header table (" + header.phnum() + " entries)");
    List<ProgramHeader> result = new ArrayList<>(header.phnum());
    for (int i = 0; i < header.phnum(); i++) {
      int base = i * header.phentsize();
      long type = Integer.toUnsignedLong(table.getInt(base));
      if (header.is64()) {
        result.add(new ProgramHeader(type, table.getLong(base + 8), table.getLong(base + 16),
            table.getLong(base + 32)));
      } else {
        result.add(new ProgramHeader(type, header.word(table, base + 4),
            header.word(table, base + 8), header.word(table, base + 16)));
      }
    }
    return result;
  }

  /** Whether {@code address} falls in this segment's file-backed bytes, in unsigned arithmetic. */
  boolean containsAddress(long address) {
    return Long.compareUnsigned(address, vaddr) >= 0
        && Long.compareUnsigned(address - vaddr, filesz) < 0;
  }

  /** Rejects a segment whose file bytes are not all inside the file. */
  void requireInFile(ElfInput in, String name) throws ElfFormatException {
    if (!in.contains(offset, filesz)) {
      throw in.fail(name + " segment (offset " + ElfInput.hex(offset) + ", "
          + Long.toUnsignedString(filesz) + " bytes) extends past the end of the file ("
          + in.size() + " bytes)");
    }
  }
}
