package org.closurecache.core.manifest;

import static org.closurecache.core.manifest.Fixtures.LD_DIGEST;
import static org.closurecache.core.manifest.Fixtures.PYTHON;
import static org.closurecache.core.manifest.Fixtures.PYTHON_DIGEST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ManifestModelTest {

  @Test
  void constructor_whenMapsUseACaseInsensitiveComparator_resolvesByExactPathAnyway() {
    // With the caller's comparator kept, "/usr/bin/python3.11" would be found under
    // "/USR/BIN/PYTHON3.11" here but not after a round trip through the wire form.
    TreeMap<String, FileEntry> files = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    files.put("/USR/BIN/PYTHON3.11", FileEntry.of(PYTHON_DIGEST, 1, 0755, 0, Reason.ENTRY));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Fixtures.with(files, new TreeMap<>(), new EntryPoint(PYTHON, PYTHON_DIGEST)));
    assertTrue(e.getMessage().contains("entry path " + PYTHON + " does not lead"), e.getMessage());

    TreeMap<String, String> env = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    env.put("Path", "/bin");
    Launch launch = new Launch(List.of("x"), env, "/");
    assertNull(launch.env().comparator());
    assertNull(launch.env().get("PATH"));

    Manifest m = Fixtures.manifest();
    assertNull(m.files().comparator());
    assertNull(m.symlinks().comparator());
  }

  @Test
  void constructor_whenStringHasLoneSurrogate_rejectsSoEveryManifestCanBeWritten() {
    String bad = "x\uD800";
    var files = Fixtures.files();
    files.put("/opt/" + bad, FileEntry.of(LD_DIGEST, 0, 0644, 0, Reason.INCLUDED));
    assertLone(() -> Fixtures.with(files, Fixtures.symlinks(), new EntryPoint(PYTHON, PYTHON_DIGEST)));
    var links = Fixtures.symlinks();
    links.put("/opt/x", bad);
    assertLone(() -> Fixtures.with(Fixtures.files(), links, new EntryPoint(PYTHON, PYTHON_DIGEST)));
    assertLone(() -> new Launch(List.of("a", bad), new TreeMap<>(), "/"));
    assertLone(() -> new Launch(List.of("a"), new TreeMap<>(Map.of("K", bad)), "/"));
    assertLone(() -> new Launch(List.of("a"), new TreeMap<>(), "/" + bad));
    assertThrows(IllegalArgumentException.class, () -> new LoadedLibrary(bad, "/x"));
    assertThrows(IllegalArgumentException.class, () -> new LoadedLibrary("x", "/" + bad));
    assertThrows(IllegalArgumentException.class, () -> new Manifest(Manifest.SCHEMA, "p" + bad, "r",
        new EntryPoint(PYTHON, PYTHON_DIGEST), Optional.empty(), List.of(), Fixtures.files(),
        Fixtures.symlinks(), Fixtures.launch()));
  }

  private static void assertLone(org.junit.jupiter.api.function.Executable ex) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ex);
    assertTrue(e.getMessage().contains("lone UTF-16 surrogate"), e.getMessage());
  }

  @Test
  void manifest_isImmutable_andIndependentOfItsInputs() {
    var files = Fixtures.files();
    var links = Fixtures.symlinks();
    Manifest m = Fixtures.with(files, links, new EntryPoint(PYTHON, PYTHON_DIGEST));
    files.clear();
    links.clear();
    assertEquals(3, m.files().size());
    assertEquals(3, m.symlinks().size());
    assertThrows(UnsupportedOperationException.class, () -> m.files().clear());
    assertThrows(UnsupportedOperationException.class, () -> m.symlinks().put("/x", "y"));
    assertThrows(UnsupportedOperationException.class, () -> m.libraries().add(null));
    assertThrows(UnsupportedOperationException.class, () -> m.launch().env().put("A", "b"));
  }

  @Test
  void objectDigests_collapsesDuplicates() {
    var files = Fixtures.files();
    files.put("/opt/copy-of-python", FileEntry.of(PYTHON_DIGEST, 1, 0755, 0, Reason.INCLUDED));
    Manifest m = Fixtures.with(files, Fixtures.symlinks(), new EntryPoint(PYTHON, PYTHON_DIGEST));
    assertEquals(Set.of(PYTHON_DIGEST, LD_DIGEST, Fixtures.LIBM_DIGEST), m.objectDigests());
  }

  @Test
  void constructor_whenNoFilesOrNulls_rejects() {
    assertThrows(IllegalArgumentException.class,
        () -> Fixtures.with(new TreeMap<>(), new TreeMap<>(), new EntryPoint(PYTHON, PYTHON_DIGEST)));
    assertThrows(IllegalArgumentException.class, () -> new Manifest(Manifest.SCHEMA, "p", "r",
        new EntryPoint(PYTHON, PYTHON_DIGEST), null, List.of(), Fixtures.files(), Fixtures.symlinks(), Fixtures.launch()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Manifest(2, "p", "r",
        new EntryPoint(PYTHON, PYTHON_DIGEST), Optional.empty(), List.of(), Fixtures.files(), Fixtures.symlinks(),
        Fixtures.launch()));
    assertTrue(e.getMessage().contains("this build reads schema 1"), e.getMessage());
  }
}
