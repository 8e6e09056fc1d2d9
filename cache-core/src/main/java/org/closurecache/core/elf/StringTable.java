package org.closurecache.core.elf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The dynamic string table (DT_STRTAB), located in the file and bounded, read lazily one string at
 * a time so that a large {@code .dynstr} (libjvm.so) is not buffered for a handful of names.
 */
final class StringTable {
  /** Longest string accepted, excluding the NUL; real names and search paths are far shorter. */
  static final int MAX_STRING = 64 * 1024;
  private static final int FIRST_CHUNK = 256;

  private final ElfInput in;
  private final long fileOffset;
  private final long limit;

  private StringTable(ElfInput in, long fileOffset, long limit) {
    this.in = in;
    this.fileOffset = fileOffset;
    this.limit = limit;
  }

  /**
   * Translates DT_STRTAB (a virtual address) to a file offset through the PT_LOAD segment holding
   * it, and bounds the table by DT_STRSZ when present, else by the end of that segment's file bytes.
   */
  static StringTable locate(ElfInput in, List<ProgramHeader> segments, DynamicSection dynamic)
      throws IOException {
    if (dynamic.strtab().isEmpty()) {
      throw in.fail("PT_DYNAMIC has string entries (DT_NEEDED, DT_SONAME, ...) but no DT_STRTAB");
    }
    long address = dynamic.strtab().getAsLong();
    for (ProgramHeader load : segments) {
      if (load.type() != ProgramHeader.PT_LOAD || !load.containsAddress(address)) {
        continue;
      }
      load.requireInFile(in, "PT_LOAD");
      long delta = address - load.vaddr();
      long available = load.filesz() - delta;
      long limit = available;
      if (dynamic.strsz().isPresent()) {
        long strsz = dynamic.strsz().getAsLong();
        if (Long.compareUnsigned(strsz, available) > 0) {
          throw in.fail("DT_STRSZ (" + Long.toUnsignedString(strsz) + " bytes) runs past the end"
              + " of the PT_LOAD segment holding DT_STRTAB " + ElfInput.hex(address));
        }
        limit = strsz;
      }
      // In range: load.offset + load.filesz fits in the file, and delta < filesz.
      return new StringTable(in, load.offset() + delta, limit);
    }
    throw in.fail("DT_STRTAB address " + ElfInput.hex(address)
        + " is not inside the file bytes of any PT_LOAD segment");
  }

  /**
   * Returns the NUL-terminated string at {@code offset} in the table.
   *
   * @param what names the referring entry in error messages, e.g. "DT_NEEDED"
   */
  String string(long offset, String what) throws IOException {
    if (Long.compareUnsigned(offset, limit) >= 0) {
      throw in.fail(what + " string offset " + ElfInput.hex(offset)
          + " is outside the string table (size " + ElfInput.hex(limit) + ")");
    }
    long window = Math.min(limit - offset, MAX_STRING + 1L);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long done = 0;
    int chunk = FIRST_CHUNK;
    while (done < window) {
      int n = (int) Math.min(chunk, window - done);
      ByteBuffer buffer = in.read(fileOffset + offset + done, n, what + " string");
      for (int i = 0; i < n; i++) {
        byte b = buffer.get(i);
        if (b == 0) {
          return in.utf8(bytes.toByteArray(), what + " string at offset " + ElfInput.hex(offset));
        }
        bytes.write(b);
      }
      done += n;
      chunk = Math.min(chunk * 2, MAX_STRING);
    }
    if (window > MAX_STRING) {
      throw in.fail(what + " string at offset " + ElfInput.hex(offset) + " is longer than "
          + MAX_STRING + " bytes");
    }
    throw in.fail(what + " string at offset " + ElfInput.hex(offset)
        + " has no NUL before the end of the string table");
  }
}
