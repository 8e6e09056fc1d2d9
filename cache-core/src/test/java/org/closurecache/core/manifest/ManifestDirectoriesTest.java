package org.closurecache.core.manifest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.closurecache.core.manifest.Fixtures.LIBM;
import static org.closurecache.core.manifest.Fixtures.PYTHON;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.closurecache.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The optional {@code directories} of a manifest: directories a job looked at that hold no file. */
class ManifestDirectoriesTest {
  private static final String DYNLOAD = "/usr/lib/python3.11/lib-dynload";

  private static Manifest withDirectories(String... dirs) {
    Manifest m = Fixtures.manifest();
    return new Manifest(m.schema(), m.platform(), m.resolver(), m.entry(), m.interpreter(), m.libraries(),
        m.files(), m.symlinks(), new TreeSet<>(List.of(dirs)), m.launch());
  }

  private static ManifestFormatException rejects(Consumer<ArrayNode> fill, String... fragments) {
    ObjectNode doc = ManifestCodec.toJson(Fixtures.manifest());
    fill.accept(doc.putArray("directories"));
    ManifestFormatException e = assertThrows(ManifestFormatException.class,
        () -> ManifestCodec.parse(CanonicalJson.write(doc)));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "message <" + e.getMessage() + "> lacks <" + f + ">");
    }
    return e;
  }

  @Test
  void parse_whenFieldAbsent_givesNoDirectories() throws ManifestFormatException {
    Manifest m = ManifestCodec.parse(ManifestCodec.toCanonicalBytes(Fixtures.manifest()));
    assertEquals(Set.of(), m.directories());
  }

  @Test
  void write_whenNoDirectories_leavesTheFieldOut_soOldManifestsKeepTheirBytes() {
    Manifest m = withDirectories();
    assertFalse(new String(ManifestCodec.toCanonicalBytes(m), UTF_8).contains("directories"));
    assertArrayEquals(ManifestCodec.toCanonicalBytes(Fixtures.manifest()), ManifestCodec.toCanonicalBytes(m));
    assertEquals(Fixtures.manifest(), m);
  }

  @Test
  void write_whenDirectories_writesASortedArray_thatRoundTrips() throws ManifestFormatException {
    Manifest m = withDirectories(DYNLOAD, "/usr/lib/python3/dist-packages", "/opt/\uFFFF", "/opt/\uD83D\uDE00");
    String text = new String(ManifestCodec.toCanonicalBytes(m), UTF_8);
    // code point order (as object keys): U+FFFF sorts before U+1F600, unlike in UTF-16 order
    assertTrue(text.contains("\"directories\":[\"/opt/\uFFFF\",\"/opt/\uD83D\uDE00\","
        + "\"/usr/lib/python3.11/lib-dynload\",\"/usr/lib/python3/dist-packages\"]"), text);
    Manifest back = ManifestCodec.parse(ManifestCodec.toCanonicalBytes(m));
    assertEquals(m, back);
    assertArrayEquals(ManifestCodec.toCanonicalBytes(m), ManifestCodec.toCanonicalBytes(back));
    assertFalse(ManifestCodec.digest(m).equals(ManifestCodec.digest(Fixtures.manifest())));
  }

  @Test
  void constructor_whenDirectoryIsAboveKeys_acceptsIt() {
    assertEquals(Set.of("/usr/lib", "/usr"), withDirectories("/usr/lib", "/usr").directories());
  }

  @Test
  void parse_whenArrayIsEmpty_rejectsAsNotCanonical() {
    rejects(a -> {}, "directories must be a non-empty array", "leave the field out");
  }

  @Test
  void parse_whenNotSortedOrDuplicated_rejects() {
    rejects(a -> a.add("/b").add("/a"), "sorted by code point", "\"/a\" follows \"/b\"");
    rejects(a -> a.add("/a").add("/a"), "without duplicates", "\"/a\" follows \"/a\"");
    // UTF-16 order, not code point order
    rejects(a -> a.add("/\uD83D\uDE00").add("/\uFFFF"), "sorted by code point");
  }

  @Test
  void parse_whenNotAnArrayOfStrings_rejects() {
    ObjectNode doc = ManifestCodec.toJson(Fixtures.manifest());
    doc.putObject("directories").put(DYNLOAD, 1);
    ManifestFormatException e = assertThrows(ManifestFormatException.class,
        () -> ManifestCodec.parse(CanonicalJson.write(doc)));
    assertTrue(e.getMessage().contains("directories must be a non-empty array"), e.getMessage());
    rejects(a -> a.add(1), "directories element must be a string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"usr/lib/python3.11/lib-dynload", "/usr/lib/../lib-dynload", "/usr//lib", "/usr/lib/",
      "/usr/./lib", "/", ""})
  void parse_whenDirectoryIsNotANormalisedAbsolutePath_rejectsNamingIt(String dir) {
    ManifestFormatException e = rejects(a -> a.add(dir), "invalid manifest: directory path");
    assertTrue(dir.isEmpty() || e.getMessage().contains(dir.equals("/") ? "not / itself" : dir), e.getMessage());
  }

  @Test
  void parse_whenDirectoryIsAFileOrSymlinkKey_rejectsNamingIt() {
    rejects(a -> a.add(LIBM), "directory " + LIBM + " is also a file of the manifest");
    rejects(a -> a.add("/lib"), "directory /lib is also a symlink of the manifest");
  }

  @Test
  void parse_whenDirectoryLiesUnderAFileOrSymlinkKey_rejectsNamingBoth() {
    rejects(a -> a.add("/lib/python3.11/lib-dynload"),
        "directory /lib/python3.11/lib-dynload lies under /lib, which the manifest names as a symlink",
        "record the resolved path");
    rejects(a -> a.add(PYTHON + "/x"), "directory " + PYTHON + "/x lies under " + PYTHON, "as a file");
  }

  @Test
  void constructor_whenNullSetOrElement_rejects() {
    Manifest m = Fixtures.manifest();
    assertThrows(IllegalArgumentException.class, () -> new Manifest(m.schema(), m.platform(), m.resolver(),
        m.entry(), m.interpreter(), m.libraries(), m.files(), m.symlinks(), null, m.launch()));
    SortedSet<String> withNull = new TreeSet<>(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
    withNull.add(null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Manifest(m.schema(),
        m.platform(), m.resolver(), m.entry(), m.interpreter(), m.libraries(), m.files(), m.symlinks(), withNull,
        m.launch()));
    assertTrue(e.getMessage().contains("directory path must not be null"), e.getMessage());
  }

  @Test
  void directories_areImmutable_andCountTowardTheEntryLimit() {
    Manifest m = withDirectories(DYNLOAD);
    assertThrows(UnsupportedOperationException.class, () -> m.directories().add("/x"));
    SortedSet<String> many = new TreeSet<>();
    for (int i = 0; many.size() + m.files().size() + m.symlinks().size() <= Manifest.MAX_ENTRIES; i++) {
      many.add("/d/" + i);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Manifest(m.schema(),
        m.platform(), m.resolver(), m.entry(), m.interpreter(), m.libraries(), m.files(), m.symlinks(), many,
        m.launch()));
    assertTrue(e.getMessage().contains("manifest names " + (Manifest.MAX_ENTRIES + 1) + " paths"), e.getMessage());
    assertEquals(Collections.emptySortedSet(), Fixtures.manifest().directories());
  }
}
