package org.closurecache.core.manifest;

/** Why a file is part of a closure. The wire form is {@link #wire()}. */
public enum Reason {
  /** The program itself. */
  ENTRY("entry"),
  /** The dynamic loader named by the entry's PT_INTERP. */
  INTERPRETER("interpreter"),
  /** Loaded because an ELF object lists it in DT_NEEDED; {@link FileEntry#by()} names which. */
  NEEDED_BY("needed-by"),
  /** Opened with dlopen by a preset that knows the program does so. */
  DLOPEN("dlopen"),
  /** Seen opened during the recording run. */
  TRACED("traced"),
  /** Asked for explicitly by the publisher (path, directory or glob). */
  INCLUDED("included");

  private final String wire;

  Reason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Reason fromWire(String s) {
    for (Reason r : values()) {
      if (r.wire.equals(s)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "unknown reason \"" + s + "\"; expected one of entry, interpreter, needed-by, dlopen, traced, included");
  }
}
