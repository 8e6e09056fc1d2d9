package org.closurecache.core.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked positional reads from one ELF file. Every region is checked against the file size
 * before a buffer is allocated, so a lying header can cost at most an exception, never a large
 * allocation or a read past the end.
 */
final class ElfInput {
  private final SeekableByteChannel channel;
  private final String source;
  private final long size;
  private ByteOrder order = ByteOrder.LITTLE_ENDIAN;

  ElfInput(SeekableByteChannel channel, String source) throws IOException {
    this.channel = channel;
    this.source = source;
    // Sampled once: if the file changes under us, reads that come up short are reported as
    // truncation instead of being trusted.
    this.size = channel.size();
  }

  long size() {
    return size;
  }

  String source() {
    return source;
  }

  void order(ByteOrder order) {
    this.order = order;
  }

  ElfFormatException fail(String reason) {
    return new ElfFormatException(source, reason);
  }

  /** Whether [offset, offset + length) lies inside the file; safe for any (even negative) input. */
  boolean contains(long offset, long length) {
    return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
  }

  /**
   * Reads exactly {@code length} bytes at {@code offset}, ordered by the file's byte order.
   *
   * @param what names the region in the error message, e.g. "program header table"
   */
  ByteBuffer read(long offset, int length, String what) throws IOException {
    if (!contains(offset, length)) {
      throw fail(what + " at offset " + hex(offset) + " (" + Integer.toUnsignedString(length)
          + " bytes) extends past the end of the file (" + size + " bytes)");
    }
    ByteBuffer buffer = ByteBuffer.allocate(length);
    channel.position(offset);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        throw fail(what + " is truncated: the file ended after "
            + (offset + buffer.position()) + " bytes (it changed while being read?)");
      }
    }
    return buffer.flip().order(order);
  }

  /**
   * Decodes a name strictly: the loader treats names as bytes, and a replacement character would
   * name a different file, so malformed UTF-8 is reported rather than repaired.
   *
   * @param what names the string in the error message; {@code offset} is appended when >= 0
   */
  String utf8(byte[] bytes, String what, long offset) throws ElfFormatException {
    if (isAscii(bytes)) {
      return new String(bytes, StandardCharsets.US_ASCII); // the usual case, and cheaper
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw fail(what + (offset >= 0 ? " string at offset " + hex(offset) : "")
          + " is not valid UTF-8");
    }
  }

  private static boolean isAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  /** Formats a possibly-unsigned 64-bit value the way ELF tools print it. */
  static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }
}
