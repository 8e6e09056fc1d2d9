package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheLayoutTest {
  @TempDir Path dir;
  private final Digest d = Digest.of(new byte[] {42});

  @Test
  void viewAndVariantPaths_haveTheDocumentedForm() {
    CacheLayout layout = CacheLayout.at(dir);
    assertEquals(dir.resolve("views").resolve(d.hex()), layout.viewDir(d));
    Path v = layout.variantPath(d, 0555, 1_700_000_000L);
    assertEquals(dir.resolve("variants").resolve(d.hex().substring(0, 2)).resolve(d.hex() + "-0555-1700000000"), v);
    assertEquals(d.hex() + "-0444--5", layout.variantPath(d, 0444, -5).getFileName().toString());
    assertTrue(CacheLayout.VARIANT_NAME.matcher(v.getFileName().toString()).matches());
    assertTrue(CacheLayout.VARIANT_NAME.matcher(d.hex() + "-0444--5").matches());
    assertThrows(IllegalArgumentException.class, () -> layout.variantPath(d, 01000, 0));
  }

  @Test
  void newViewBuildDir_isFreshAndEmpty_andTrashPathsAreUnused() throws Exception {
    CacheLayout layout = CacheLayout.at(dir);
    Path a = layout.newViewBuildDir(d);
    Path b = layout.newViewBuildDir(d);
    assertNotEquals(a, b);
    assertTrue(Files.isDirectory(a) && a.getFileName().toString().startsWith(".build-" + d.hex() + "-"));
    assertEquals(layout.viewsDir(), a.getParent());
    Path trash = layout.newViewTrashPath(d);
    assertTrue(trash.getFileName().toString().startsWith(".trash-" + d.hex() + "-"));
    assertFalse(Files.exists(trash));
  }

  @Test
  void create_makesRunningWritableByEveryUserAndSticky_andRepairsALaunchersDirectory(@TempDir Path dir)
      throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    layout.create();
    assertEquals(01777, (Integer) Files.getAttribute(layout.runningDir(), "unix:mode") & 07777);
    Files.setAttribute(layout.runningDir(), "unix:mode", 0755);  // as a user's `mkdir -p` leaves it
    layout.create();
    assertEquals(01777, (Integer) Files.getAttribute(layout.runningDir(), "unix:mode") & 07777);
  }
}
