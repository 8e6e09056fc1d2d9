package org.closurecache.core.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hand-built ELF files: the other classes and byte orders, and hostile layouts. */
class ElfReaderSyntheticTest {
  private static final int EM_PPC = 20;

  static Stream<Arguments> classesAndOrders() {
    return Stream.of(
        Arguments.of(ElfClass.ELF32, ByteOrder.BIG_ENDIAN),
        Arguments.of(ElfClass.ELF32, ByteOrder.LITTLE_ENDIAN),
        Arguments.of(ElfClass.ELF64, ByteOrder.BIG_ENDIAN),
        Arguments.of(ElfClass.ELF64, ByteOrder.LITTLE_ENDIAN));
  }

  private static ElfFile read(byte[] bytes) throws IOException {
    return ElfReader.read(new ByteArrayChannel(bytes), "test.elf");
  }

  private static ElfFile read(ElfBuilder.Built built) throws IOException {
    return read(built.bytes);
  }

  private static ElfFormatException rejects(byte[] bytes) {
    return assertThrows(ElfFormatException.class, () -> read(bytes));
  }

  private static ElfFormatException rejects(ElfBuilder.Built built) {
    return rejects(built.bytes);
  }

  private static void assertReasonContains(ElfFormatException e, String expected) {
    assertTrue(e.reason().contains(expected),
        () -> "reason should contain \"" + expected + "\" but was: " + e.reason());
    assertEquals("test.elf: " + e.reason(), e.getMessage());
    assertEquals("test.elf", e.source());
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("classesAndOrders")
  void read_whenAllDynamicFieldsPresent_returnsThemForEveryClassAndByteOrder(
      ElfClass elfClass, ByteOrder order) throws IOException {
    ElfBuilder.Built built = new ElfBuilder(elfClass, order)
        .machine(EM_PPC)
        .type(ElfFile.ET_EXEC)
        .interpreter("/lib/ld.so.1")
        .needed("libfoo.so.1")
        .needed("libc.so.6")
        .soname("libself.so.2")
        .rpath("$ORIGIN/../lib:/opt/x")
        .runpath("$ORIGIN")
        .flags1(0x800 | 0x1)
        .build();

    ElfFile elf = read(built);

    assertEquals(new ElfFile(elfClass, order, EM_PPC, ElfFile.ET_EXEC,
        Optional.of("/lib/ld.so.1"), List.of("libfoo.so.1", "libc.so.6"),
        Optional.of("libself.so.2"), Optional.of("$ORIGIN/../lib:/opt/x"),
        Optional.of("$ORIGIN"), true, true), elf);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("classesAndOrders")
  void read_whenNoProgramHeaderIsDynamic_returnsStaticFile(ElfClass elfClass, ByteOrder order)
      throws IOException {
    ElfFile elf = read(new ElfBuilder(elfClass, order).noDynamic().type(ElfFile.ET_EXEC).build());

    assertFalse(elf.dynamic());
    assertEquals(List.of(), elf.needed());
    assertEquals(Optional.empty(), elf.interpreter());
    assertEquals(elfClass, elf.elfClass());
    assertEquals(order, elf.byteOrder());
  }

  @Test
  void read_whenDynamicSegmentHasNoStrings_needsNoStringTable() throws IOException {
    // Like a static-pie executable: PT_DYNAMIC with only non-string tags.
    ElfFile elf = read(ElfBuilder.elf64().noAutoStrtab().flags1(0x08000000).build());

    assertTrue(elf.dynamic());
    assertEquals(List.of(), elf.needed());
    assertFalse(elf.noDefaultLib());
  }

  @Test
  void read_whenEntriesFollowDtNull_ignoresThem() throws IOException {
    ElfBuilder builder = ElfBuilder.elf64().needed("liba.so");
    long late = builder.string("libignored.so");
    ElfBuilder.Built built = builder
        .entry(DynamicSection.DT_NULL, 0)
        .entry(DynamicSection.DT_NEEDED, late)
        .build();

    assertEquals(List.of("liba.so"), read(built).needed());
  }

  @Test
  void read_whenSegmentEndsWithoutDtNull_readsToSegmentEnd() throws IOException {
    ElfFile elf = read(ElfBuilder.elf64().needed("liba.so").needed("libb.so").noDtNull().build());

    assertEquals(List.of("liba.so", "libb.so"), elf.needed());
  }

  @Test
  void read_whenSingleValuedTagRepeats_lastOneWins() throws IOException {
    ElfFile elf = read(ElfBuilder.elf64().soname("first.so").soname("second.so").build());

    assertEquals(Optional.of("second.so"), elf.soname());
  }

  @Test
  void read_whenStrszAbsent_boundsStringsByLoadSegment() throws IOException {
    ElfBuilder builder = ElfBuilder.elf64().noAutoStrtab();
    long name = builder.string("liba.so");
    ElfBuilder.Built built = builder
        .entry(DynamicSection.DT_NEEDED, name)
        .entry(DynamicSection.DT_STRTAB, 0)
        .build();
    // Only known after layout: point DT_STRTAB at the table, with no DT_STRSZ at all.
    built.dynamicValue(1, ElfBuilder.BASE + built.strtabOffset);

    assertEquals(List.of("liba.so"), read(built).needed());
  }

  // ---- not ELF, truncated ----

  @Test
  void read_whenFileIsEmpty_throwsElfFormatException() {
    assertReasonContains(rejects(new byte[0]), "not an ELF file");
  }

  @Test
  void read_whenFileIsThreeBytes_throwsElfFormatException() {
    assertReasonContains(rejects(new byte[] {0x7f, 'E', 'L'}), "not an ELF file");
  }

  @Test
  void read_whenMagicIsWrong_throwsElfFormatException() {
    byte[] script = "#!/bin/sh\necho hello\n".getBytes(StandardCharsets.US_ASCII);

    assertReasonContains(rejects(script), "not an ELF file (bad magic)");
  }

  @Test
  void read_whenHeaderIsTruncated_throwsElfFormatException() {
    byte[] bytes = Arrays.copyOf(ElfBuilder.elf64().build().bytes, 40);

    assertReasonContains(rejects(bytes), "truncated ELF header");
  }

  @Test
  void read_whenClassIsUnknown_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().build();
    built.bytes[4] = 3;

    assertReasonContains(rejects(built), "unknown ELF class");
  }

  @Test
  void read_whenDataEncodingIsUnknown_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().build();
    built.bytes[5] = 0;

    assertReasonContains(rejects(built), "unknown ELF data encoding");
  }

  // ---- program headers ----

  @Test
  void read_whenProgramHeadersPastEof_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().build().phnum(65535).phoffField(1 << 20);

    assertReasonContains(rejects(built), "program header table");
  }

  @Test
  void read_whenProgramHeaderOffsetIsNegativeAsSigned_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().build().phoffField(-16);

    assertReasonContains(rejects(built), "extends past the end of the file");
  }

  @Test
  void read_whenPhentsizeTooSmall_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().build().phentsize(8);

    assertReasonContains(rejects(built), "e_phentsize is 8");
  }

  // ---- PT_INTERP ----

  @Test
  void read_whenInterpreterHasNoNul_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().interpreter("/lib/ld.so").build();
    // Shrink the segment by one so its last byte is no longer the NUL.
    built.phdrFilesz(1, "/lib/ld.so".length());

    assertReasonContains(rejects(built), "PT_INTERP is not NUL-terminated");
  }

  @Test
  void read_whenInterpreterIsLongerThanPathMax_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().interpreter("/x".repeat(3000)).build();

    assertReasonContains(rejects(built), "PT_INTERP is 6001 bytes");
  }

  @Test
  void read_whenInterpreterSegmentPastEof_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().interpreter("/lib/ld.so").build();
    built.phdrOffset(1, Long.MAX_VALUE - 4);

    assertReasonContains(rejects(built), "PT_INTERP segment");
  }

  // ---- PT_DYNAMIC ----

  @Test
  void read_whenDynamicSegmentClaims2pow40Bytes_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().needed("liba.so").build();
    built.phdrFilesz(built.dynamicPhdr, 1L << 40);

    assertReasonContains(rejects(built), "PT_DYNAMIC segment");
  }

  @Test
  void read_whenDynamicOffsetPlusSizeOverflows_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().needed("liba.so").build();
    built.phdrOffset(built.dynamicPhdr, Long.MAX_VALUE);
    built.phdrFilesz(built.dynamicPhdr, Long.MAX_VALUE);

    assertReasonContains(rejects(built), "PT_DYNAMIC segment");
  }

  @Test
  void read_whenElf32DynamicSizeIsMaxUnsigned_throwsElfFormatException() {
    ElfBuilder.Built built =
        new ElfBuilder(ElfClass.ELF32, ByteOrder.BIG_ENDIAN).needed("liba.so").build();
    built.phdrFilesz(built.dynamicPhdr, 0xFFFF_FFFFL);

    assertReasonContains(rejects(built), "PT_DYNAMIC segment");
  }

  @Test
  void read_whenDynamicSegmentHasOverAMillionEntriesWithoutDtNull_throwsElfFormatException() {
    ElfBuilder builder = ElfBuilder.elf64().noDtNull();
    for (int i = 0; i <= DynamicSection.MAX_ENTRIES; i++) {
      builder.entry(21 /* DT_DEBUG */, 0);
    }
    ElfBuilder.Built built = builder.build();

    assertReasonContains(rejects(built), "more than 1048576 entries");
  }

  @Test
  void read_whenMaximumNumberOfDistinctNeededEntries_finishesQuickly() throws IOException {
    ElfBuilder builder = ElfBuilder.elf64();
    for (int i = 0; i < DynamicSection.MAX_NEEDED; i++) {
      builder.needed("lib" + i + ".so");
    }
    ElfBuilder.Built built = builder.build();

    long start = System.nanoTime();
    ElfFile elf = read(built);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertEquals(DynamicSection.MAX_NEEDED, elf.needed().size());
    assertEquals("lib65535.so", elf.needed().get(65535));
    assertTrue(millis < 1000, "took " + millis + " ms");
  }

  @Test
  void read_whenTooManyNeededEntries_throwsElfFormatException() {
    ElfBuilder builder = ElfBuilder.elf64();
    long name = builder.string("libx.so");
    for (int i = 0; i <= DynamicSection.MAX_NEEDED; i++) {
      builder.entry(DynamicSection.DT_NEEDED, name);
    }

    assertReasonContains(rejects(builder.build()), "more than 65536 DT_NEEDED entries");
  }

  // ---- string table ----

  @Test
  void read_whenStrtabOutsideAllLoadSegments_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().needed("liba.so").build();
    built.dynamicValue(0, 0x7fff_0000_0000L);

    assertReasonContains(rejects(built), "DT_STRTAB address 0x7fff00000000 is not inside");
  }

  @Test
  void read_whenNeededOffsetBeyondStrsz_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().entry(DynamicSection.DT_NEEDED, 5000).build();

    assertReasonContains(rejects(built), "DT_NEEDED string offset 0x1388 is outside");
  }

  @Test
  void read_whenNeededOffsetIsMaxUnsigned_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().entry(DynamicSection.DT_NEEDED, -1).build();

    assertReasonContains(rejects(built), "is outside the string table");
  }

  @Test
  void read_whenStrszRunsPastLoadSegment_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64().needed("liba.so").build();
    built.dynamicValue(1, 1L << 40);

    assertReasonContains(rejects(built), "DT_STRSZ");
  }

  @Test
  void read_whenStringHasNoNul_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64()
        .rawStrtab("\0libunterminated.so".getBytes(StandardCharsets.US_ASCII))
        .entry(DynamicSection.DT_NEEDED, 1)
        .build();

    assertReasonContains(rejects(built), "has no NUL before the end of the string table");
  }

  @Test
  void read_whenStringExceeds64KiB_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64()
        .rpath("/a".repeat(40_000))
        .build();

    assertReasonContains(rejects(built), "longer than 65536 bytes");
  }

  @Test
  void read_whenNeededEntriesOverlapOneLongString_throwsElfFormatExceptionQuickly() {
    // Offsets 1, 2, 3, ... into one 60000-byte string: each a distinct, nearly as long name.
    ElfBuilder builder = ElfBuilder.elf64();
    long first = builder.string("a".repeat(60_000));
    for (int i = 0; i < DynamicSection.MAX_NEEDED; i++) {
      builder.entry(DynamicSection.DT_NEEDED, first + i % 50_000);
    }
    ElfBuilder.Built built = builder.build();

    long start = System.nanoTime();
    ElfFormatException e = rejects(built);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertReasonContains(e, "dynamic strings total more than 16777216 bytes");
    assertTrue(millis < 1000, "took " + millis + " ms");
  }

  @Test
  void read_whenStringIsNotUtf8_throwsElfFormatException() {
    ElfBuilder.Built built = ElfBuilder.elf64()
        .rawStrtab(new byte[] {0, 'l', 'i', 'b', (byte) 0xff, '.', 's', 'o', 0})
        .entry(DynamicSection.DT_NEEDED, 1)
        .build();

    assertReasonContains(rejects(built), "not valid UTF-8");
  }

  @Test
  void read_whenNeededButNoStrtab_throwsElfFormatException() {
    ElfBuilder builder = ElfBuilder.elf64().noAutoStrtab();
    ElfBuilder.Built built = builder.entry(DynamicSection.DT_NEEDED, builder.string("x")).build();

    assertReasonContains(rejects(built), "no DT_STRTAB");
  }

  // ---- paths ----

  @Test
  void read_whenPathIsDirectory_throwsElfFormatException(@TempDir Path dir) {
    ElfFormatException e = assertThrows(ElfFormatException.class, () -> ElfReader.read(dir));

    assertTrue(e.reason().contains("directory"), e.getMessage());
  }

  @Test
  void read_whenPathIsMissing_throwsNoSuchFileException(@TempDir Path dir) {
    assertThrows(NoSuchFileException.class, () -> ElfReader.read(dir.resolve("absent")));
  }

  @Test
  void read_whenPathIsSyntheticFile_readsIt(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("libx.so");
    Files.write(file, new ElfBuilder(ElfClass.ELF32, ByteOrder.BIG_ENDIAN).soname("libx.so")
        .build().bytes);

    assertEquals(Optional.of("libx.so"), ElfReader.read(file).soname());
  }

  @Test
  void isElf_distinguishesElfFromOtherFiles(@TempDir Path dir) throws IOException {
    Path elf = Files.write(dir.resolve("elf"), ElfBuilder.elf64().build().bytes);
    Path script = Files.writeString(dir.resolve("script"), "#!/bin/sh\n");
    Path tiny = Files.write(dir.resolve("tiny"), new byte[] {0x7f, 'E', 'L'});
    Path magicOnly = Files.write(dir.resolve("magic"), new byte[] {0x7f, 'E', 'L', 'F'});

    assertTrue(ElfReader.isElf(elf));
    assertTrue(ElfReader.isElf(magicOnly));
    assertFalse(ElfReader.isElf(script));
    assertFalse(ElfReader.isElf(tiny));
    assertFalse(ElfReader.isElf(dir));
    assertFalse(ElfReader.isElf(dir.resolve("absent")));
  }

  // ---- the record ----

  @Test
  void elfFile_copiesNeededListAndRejectsNulls() {
    List<String> needed = new java.util.ArrayList<>(List.of("a.so"));
    ElfFile elf = new ElfFile(ElfClass.ELF64, ByteOrder.LITTLE_ENDIAN, 62, 3, Optional.empty(),
        needed, Optional.empty(), Optional.empty(), Optional.empty(), false, true);
    needed.add("b.so");

    assertEquals(List.of("a.so"), elf.needed());
    assertThrows(UnsupportedOperationException.class, () -> elf.needed().add("c.so"));
    assertThrows(NullPointerException.class, () -> new ElfFile(null, ByteOrder.BIG_ENDIAN, 62, 3,
        Optional.empty(), List.of(), Optional.empty(), Optional.empty(), Optional.empty(), false,
        true));
    assertThrows(IllegalArgumentException.class, () -> new ElfFile(ElfClass.ELF64,
        ByteOrder.BIG_ENDIAN, 62, 3, Optional.empty(), List.of("a.so"), Optional.empty(),
        Optional.empty(), Optional.empty(), false, false));
  }
}
