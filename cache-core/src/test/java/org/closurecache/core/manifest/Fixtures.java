package org.closurecache.core.manifest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.closurecache.core.digest.Digest;

/** A small, realistic, valid manifest (a Debian-style python3 closure) to mutate in tests. */
final class Fixtures {
  static final String PYTHON = "/usr/bin/python3.11";
  static final String LD = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
  static final String LIBM = "/usr/lib/x86_64-linux-gnu/libm.so.6";
  static final Digest PYTHON_DIGEST = d("python");
  static final Digest LD_DIGEST = d("ld");
  static final Digest LIBM_DIGEST = d("libm");

  private Fixtures() {}

  static Digest d(String seed) {
    return Digest.of(seed.getBytes(StandardCharsets.UTF_8));
  }

  static SortedMap<String, FileEntry> files() {
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put(PYTHON, FileEntry.of(PYTHON_DIGEST, 6_831_704, 0755, 1_700_000_000L, Reason.ENTRY));
    files.put(LD, FileEntry.of(LD_DIGEST, 210_968, 0755, 1_690_000_000L, Reason.INTERPRETER));
    files.put(LIBM, FileEntry.neededBy(LIBM_DIGEST, 907_784, 0644, -5L, PYTHON));
    return files;
  }

  static SortedMap<String, String> symlinks() {
    SortedMap<String, String> links = new TreeMap<>();
    links.put("/lib", "usr/lib");
    links.put("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    links.put("/usr/bin/python3", "python3.11");
    return links;
  }

  static List<LoadedLibrary> libraries() {
    return List.of(
        new LoadedLibrary("libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6"),
        new LoadedLibrary("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"));
  }

  static Launch launch() {
    return new Launch(List.of("/usr/bin/python3", "-c", "pass"),
        new TreeMap<>(Map.of("LANG", "C.UTF-8")), "/home/u");
  }

  static Manifest manifest() {
    return new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "closure-cache 0.1 ldso", 
        new EntryPoint("/usr/bin/python3", PYTHON_DIGEST), Optional.of("/lib64/ld-linux-x86-64.so.2"),
        libraries(), files(), symlinks(), launch());
  }

  static Manifest with(SortedMap<String, FileEntry> files, SortedMap<String, String> links, EntryPoint entry) {
    return new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "r", entry, Optional.empty(), List.of(),
        files, links, launch());
  }
}
