package org.closurecache.core.resolve;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.closurecache.core.elf.ElfFile;

/**
 * One ELF object in the emulated link map, mirroring glibc's {@code struct link_map}: the path it
 * was opened at ({@code l_name}, exactly as the loader formed it), the names it answers to
 * ({@code l_libname}), and the object whose DT_NEEDED first loaded it ({@code l_loader}), whose
 * RPATH chain later searches walk. Mutable only while its {@link LibraryResolver} session runs.
 */
public final class LoadedObject {
  private final String path;
  private final ElfFile elf;
  private final LoadedObject loader;
  private final Object fileKey;
  private final Set<String> names = new LinkedHashSet<>();

  LoadedObject(String path, String firstName, ElfFile elf, LoadedObject loader, Object fileKey) {
    this.path = path;
    this.elf = elf;
    this.loader = loader;
    this.fileKey = fileKey;
    names.add(firstName);
  }

  /** The path the loader opened, unnormalised (e.g. {@code /opt/app/bin/../lib/libx.so}). */
  public String path() {
    return path;
  }

  /** The name this object was first asked for by (a DT_NEEDED string, or the path). */
  public String firstName() {
    return names.iterator().next();
  }

  public ElfFile elf() {
    return elf;
  }

  /** The object whose dependency list caused this one to load; empty for the root. */
  public Optional<LoadedObject> loader() {
    return Optional.ofNullable(loader);
  }

  Object fileKey() {
    return fileKey;
  }

  void addName(String name) {
    names.add(name);
  }

  /** glibc's {@code _dl_name_match_p} plus the lazy SONAME match of {@code _dl_map_object}. */
  boolean answersTo(String name) {
    return name.equals(path) || names.contains(name) || elf.soname().map(name::equals).orElse(false);
  }

  /** The directory {@code $ORIGIN} expands to: the opened path minus its last component. */
  String origin() {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  /** DT_RPATH counts only when the object has no DT_RUNPATH (glibc drops it then). */
  Optional<String> effectiveRpath() {
    return elf.runpath().isPresent() ? Optional.empty() : elf.rpath();
  }

  List<String> needed() {
    return elf.needed();
  }

  @Override
  public String toString() {
    return path;
  }
}
