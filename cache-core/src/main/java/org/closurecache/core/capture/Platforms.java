package org.closurecache.core.capture;

import org.closurecache.core.elf.ElfClass;
import org.closurecache.core.elf.ElfFile;

/** The GNU triplet a closure was captured for, from its entry's ELF machine and class. */
public final class Platforms {
  private Platforms() {}

  public static String of(ElfFile elf) {
    return switch (elf.machine()) {
      case ElfFile.EM_X86_64 -> elf.elfClass() == ElfClass.ELF64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
      case ElfFile.EM_386 -> "i386-linux-gnu";
      case ElfFile.EM_AARCH64 -> "aarch64-linux-gnu";
      default -> "elf-machine-" + elf.machine() + (elf.elfClass() == ElfClass.ELF64 ? "-64" : "-32") + "-linux";
    };
  }
}
