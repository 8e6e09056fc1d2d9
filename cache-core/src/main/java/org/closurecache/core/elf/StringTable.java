package org.closurecache.core.elf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dynamic string table (DT_STRTAB), located in the file and bounded. It is read lazily in
 * small aligned blocks, so a large {@code .dynstr} (libjvm.so) is not buffered for a handful of
 * names, while many names packed together (the usual layout) cost one read per block.
 */
final class StringTable {
  /** Longest string accepted, excluding the NUL; real names and search paths are far shorter. */
  static final int MAX_STRING = 64 * 1024;
  /**
   * Total bytes of distinct strings one file may yield. Overlapping offsets into one long string
   * could otherwise make 65536 DT_NEEDED entries cost gigabytes.
   */
  static final int MAX_TOTAL = 16 * 1024 * 1024;
  private static final int BLOCK = 4096;
  /** Bounds the memory a hostile file can make us hold while still absorbing re-reads. */
  private static final int CACHED_BLOCKS = 64;

  private final ElfInput in;
  private final long fileOffset;
  private final long limit;
  /** DT_NEEDED entries may repeat an offset; decode each string once. */
  private final Map<Long, String> strings = new HashMap<>();
  private long totalBytes;
  private final Map<Long, ByteBuffer> blocks = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, ByteBuffer> eldest) {
      return size() > CACHED_BLOCKS;
    }
  };

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
    String cached = strings.get(offset);
    if (cached != null) {
      return cached;
    }
    if (Long.compareUnsigned(offset, limit) >= 0) {
      throw in.fail(what + " string offset " + ElfInput.hex(offset)
          + " is outside the string table (size " + ElfInput.hex(limit) + ")");
    }
    byte[] bytes = fromBlock(offset);
    if (bytes == null) {
      bytes = spanningBlocks(offset, what);
    }
    totalBytes += bytes.length;
    if (totalBytes > MAX_TOTAL) {
      throw in.fail("dynamic strings total more than " + MAX_TOTAL + " bytes (at " + what
          + " string offset " + ElfInput.hex(offset) + ")");
    }
    String value = in.utf8(bytes, what, offset);
    strings.put(offset, value);
    return value;
  }

  /** The string if it ends inside the block holding its start, else null. */
  private byte[] fromBlock(long offset) throws IOException {
    long blockStart = offset - offset % BLOCK;
    ByteBuffer block = blocks.get(blockStart);
    if (block == null) {
      int length = (int) Math.min(BLOCK, limit - blockStart);
      block = in.read(fileOffset + blockStart, length, "string table");
      blocks.put(blockStart, block);
    }
    int from = (int) (offset - blockStart);
    for (int i = from; i < block.limit(); i++) {
      if (block.get(i) == 0) {
        byte[] bytes = new byte[i - from];
        block.get(from, bytes);
        return bytes;
      }
    }
    return null;
  }

  /** Slow path for strings crossing a block boundary: read on in growing chunks. */
  private byte[] spanningBlocks(long offset, String what) throws IOException {
    long window = Math.min(limit - offset, MAX_STRING + 1L);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long done = 0;
    int chunk = BLOCK;
    while (done < window) {
      int n = (int) Math.min(chunk, window - done);
      ByteBuffer buffer = in.read(fileOffset + offset + done, n, what + " string");
      for (int i = 0; i < n; i++) {
        if (buffer.get(i) == 0) {
          bytes.write(buffer.array(), 0, i);
          return bytes.toByteArray();
        }
      }
      bytes.write(buffer.array(), 0, n);
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
