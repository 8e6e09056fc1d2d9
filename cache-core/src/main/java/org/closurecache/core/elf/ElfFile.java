package org.closurecache.core.elf;

import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the dynamic loader needs to know about one ELF file to find its shared-library
 * dependencies. Strings are exactly as stored in the file: search paths are colon-separated and
 * dynamic string tokens such as {@code $ORIGIN} are not expanded.
 *
 * @param elfClass 32- or 64-bit
 * @param byteOrder the file's data encoding (EI_DATA)
 * @param machine e_machine, e.g. {@link #EM_X86_64}
 * @param type e_type, e.g. {@link #ET_EXEC} or {@link #ET_DYN}
 * @param interpreter the PT_INTERP path without its trailing NUL
 * @param needed DT_NEEDED entries in file order (the order the loader searches them in)
 * @param soname DT_SONAME
 * @param rpath DT_RPATH, raw
 * @param runpath DT_RUNPATH, raw
 * @param noDefaultLib whether DF_1_NODEFLIB is set in DT_FLAGS_1
 * @param dynamic whether the file has a PT_DYNAMIC segment; false for classic static executables
 */
public record ElfFile(
    ElfClass elfClass,
    ByteOrder byteOrder,
    int machine,
    int type,
    Optional<String> interpreter,
    List<String> needed,
    Optional<String> soname,
    Optional<String> rpath,
    Optional<String> runpath,
    boolean noDefaultLib,
    boolean dynamic) {

  public static final int EM_386 = 3;
  public static final int EM_X86_64 = 62;
  public static final int EM_AARCH64 = 183;

  public static final int ET_EXEC = 2;
  public static final int ET_DYN = 3;

  public ElfFile {
    Objects.requireNonNull(elfClass, "elfClass");
    Objects.requireNonNull(byteOrder, "byteOrder");
    Objects.requireNonNull(interpreter, "interpreter");
    Objects.requireNonNull(soname, "soname");
    Objects.requireNonNull(rpath, "rpath");
    Objects.requireNonNull(runpath, "runpath");
    // copyOf also rejects null elements, so a record that exists always has real names.
    needed = List.copyOf(Objects.requireNonNull(needed, "needed"));
    if (machine < 0 || machine > 0xFFFF) {
      throw new IllegalArgumentException("machine is a 16-bit field: " + machine);
    }
    if (type < 0 || type > 0xFFFF) {
      throw new IllegalArgumentException("type is a 16-bit field: " + type);
    }
    if (!dynamic
        && (noDefaultLib
            || !(needed.isEmpty() && soname.isEmpty() && rpath.isEmpty() && runpath.isEmpty()))) {
      throw new IllegalArgumentException("dynamic entries given for a file without PT_DYNAMIC");
    }
  }
}
