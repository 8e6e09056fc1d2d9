package org.closurecache.core.elf;

/** The ELF file class (EI_CLASS): it fixes the width of every address, offset and size field. */
public enum ElfClass {
  ELF32,
  ELF64
}
