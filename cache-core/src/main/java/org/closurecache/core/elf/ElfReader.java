package org.closurecache.core.elf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads what the dynamic loader needs from an ELF file — interpreter, DT_NEEDED, DT_SONAME,
 * DT_RPATH, DT_RUNPATH and DF_1_NODEFLIB — without executing anything.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>Both ELF classes and both byte orders are read. Only the ELF header, the program header
 *       table, PT_INTERP, PT_DYNAMIC and the strings it names are read, each with a bounded
 *       positional read; section headers are ignored, as the loader ignores them.
 *   <li>DT_STRTAB is a virtual address and is mapped to a file offset through the PT_LOAD segment
 *       whose file bytes contain it. Dynamic entries are read up to DT_NULL or the end of the
 *       segment's file bytes. Repeated single-valued tags: the last wins; repeated PT_INTERP or
 *       PT_DYNAMIC segments: the first is used.
 *   <li>A file without PT_DYNAMIC (a classic static executable) is valid and yields
 *       {@code dynamic == false} with no dependencies.
 *   <li>Any input that is not a well-formed ELF file ends in {@link ElfFormatException}: never a
 *       hang, an unchecked exception or an allocation larger than the file. Limits: one string at
 *       most 65536 bytes and all distinct strings together at most 16 MiB, PT_INTERP at most 4096 bytes (PATH_MAX), at most 2^20 dynamic entries
 *       before DT_NULL, of which at most 65536 DT_NEEDED. As in glibc, EI_VERSION must be 1 and
 *       e_phentsize must be exactly the size of a program header of the file's class.
 *   <li>Strings are decoded as strict UTF-8; malformed bytes are an {@link ElfFormatException},
 *       not replacement characters, because a repaired name would name a different file.
 * </ul>
 *
 * <p>Thread-safe: all methods are static and stateless. A channel passed in must not be used by
 * anyone else during the call; its position is changed.
 */
public final class ElfReader {
  /** Linux's PATH_MAX, which the kernel also applies to PT_INTERP. */
  static final int MAX_INTERP = 4096;

  private ElfReader() {}

  /**
   * Reads the file at {@code path}, following symbolic links.
   *
   * @throws ElfFormatException if it is not a regular file or not a well-formed ELF file
   * @throws java.nio.file.NoSuchFileException if it does not exist (or is a dangling link)
   * @throws IOException if it cannot be read
   */
  public static ElfFile read(Path path) throws IOException {
    // Checked before opening: opening a FIFO for reading would block until a writer appears.
    if (!Files.isRegularFile(path)) {
      if (!Files.exists(path)) {
        throw new NoSuchFileException(path.toString());
      }
      throw new ElfFormatException(path.toString(),
          Files.isDirectory(path) ? "not an ELF file (a directory)" : "not a regular file");
    }
    try (SeekableByteChannel channel = Files.newByteChannel(path, StandardOpenOption.READ)) {
      return read(channel, path.toString());
    }
  }

  /**
   * Reads an ELF file from {@code channel}, which is not closed.
   *
   * @param nameForErrors the file's name as it should appear in {@link ElfFormatException}s
   */
  public static ElfFile read(SeekableByteChannel channel, String nameForErrors)
      throws IOException {
    ElfInput in = new ElfInput(channel, nameForErrors);
    ElfHeader header = ElfHeader.read(in);
    List<ProgramHeader> segments = ProgramHeader.readAll(in, header);

    Optional<String> interpreter = Optional.empty();
    ProgramHeader dynamicSegment = null;
    for (ProgramHeader segment : segments) {
      if (segment.type() == ProgramHeader.PT_INTERP && interpreter.isEmpty()) {
        interpreter = Optional.of(readInterpreter(in, segment));
      } else if (segment.type() == ProgramHeader.PT_DYNAMIC && dynamicSegment == null) {
        dynamicSegment = segment;
      }
    }
    if (dynamicSegment == null) {
      return new ElfFile(header.elfClass(), header.byteOrder(), header.machine(), header.type(),
          interpreter, List.of(), Optional.empty(), Optional.empty(), Optional.empty(), false,
          false);
    }

    DynamicSection dynamic = DynamicSection.read(in, header, dynamicSegment);
    List<String> needed = new ArrayList<>(dynamic.neededOffsets().size());
    Optional<String> soname = Optional.empty();
    Optional<String> rpath = Optional.empty();
    Optional<String> runpath = Optional.empty();
    // A static-pie executable has PT_DYNAMIC but may name no strings; only then is a missing or
    // odd DT_STRTAB harmless.
    if (dynamic.hasStrings()) {
      StringTable strings = StringTable.locate(in, segments, dynamic);
      for (long offset : dynamic.neededOffsets()) {
        needed.add(strings.string(offset, "DT_NEEDED"));
      }
      if (dynamic.sonameOffset().isPresent()) {
        soname = Optional.of(strings.string(dynamic.sonameOffset().getAsLong(), "DT_SONAME"));
      }
      if (dynamic.rpathOffset().isPresent()) {
        rpath = Optional.of(strings.string(dynamic.rpathOffset().getAsLong(), "DT_RPATH"));
      }
      if (dynamic.runpathOffset().isPresent()) {
        runpath = Optional.of(strings.string(dynamic.runpathOffset().getAsLong(), "DT_RUNPATH"));
      }
    }
    return new ElfFile(header.elfClass(), header.byteOrder(), header.machine(), header.type(),
        interpreter, needed, soname, rpath, runpath, dynamic.noDefaultLib(), true);
  }

  /**
   * Whether {@code path} is a regular file (after following links) starting with the ELF magic.
   * Reads four bytes at most; does not validate anything beyond the magic.
   */
  public static boolean isElf(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      return false;
    }
    try (SeekableByteChannel channel = Files.newByteChannel(path, StandardOpenOption.READ)) {
      ByteBuffer magic = ByteBuffer.allocate(4);
      while (magic.hasRemaining() && channel.read(magic) >= 0) {
        // keep reading: a channel may return fewer bytes than asked
      }
      return ElfHeader.hasMagic(magic.flip());
    }
  }

  private static String readInterpreter(ElfInput in, ProgramHeader segment) throws IOException {
    segment.requireInFile(in, "PT_INTERP");
    if (segment.filesz() == 0 || Long.compareUnsigned(segment.filesz(), MAX_INTERP) > 0) {
      throw in.fail("PT_INTERP is " + Long.toUnsignedString(segment.filesz())
          + " bytes; an interpreter path must be 1 to " + MAX_INTERP + " bytes");
    }
    ByteBuffer bytes = in.read(segment.offset(), (int) segment.filesz(), "PT_INTERP");
    int length = 0;
    while (length < bytes.limit() && bytes.get(length) != 0) {
      length++;
    }
    if (length == bytes.limit()) {
      throw in.fail("PT_INTERP is not NUL-terminated");
    }
    if (length == 0) {
      throw in.fail("PT_INTERP is an empty path");
    }
    byte[] path = new byte[length];
    bytes.get(0, path);
    return in.utf8(path, "PT_INTERP", -1);
  }
}
