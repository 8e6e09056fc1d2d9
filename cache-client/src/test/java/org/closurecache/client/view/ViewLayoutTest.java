package org.closurecache.client.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ViewLayoutTest {
  @TempDir Path dir;
  private final Digest d = Digest.of(new byte[] {42});

  @Test
  void viewAndVariantPaths_haveTheDocumentedForm() {
    ViewLayout layout = CacheLayout.at(dir).views();
    assertEquals(dir.resolve("views").resolve(d.hex()), layout.viewDir(d));
    Path v = layout.variantPath(d, 0555, 1_700_000_000L);
    assertEquals(dir.resolve("variants").resolve(d.hex().substring(0, 2)).resolve(d.hex() + "-0555-1700000000"), v);
    assertEquals(d.hex() + "-0444--5", layout.variantPath(d, 0444, -5).getFileName().toString());
    assertTrue(ViewLayout.isVariantName(v.getFileName().toString()));
    assertTrue(ViewLayout.isVariantName(d.hex() + "-0444--5"));
    assertThrows(IllegalArgumentException.class, () -> layout.variantPath(d, 01000, 0));
  }

  @Test
  void newBuildDir_isFreshAndEmpty_andTrashPathsAreUnused() throws Exception {
    ViewLayout layout = CacheLayout.at(dir).views();
    Path a = layout.newBuildDir(d);
    Path b = layout.newBuildDir(d);
    assertNotEquals(a, b);
    assertTrue(Files.isDirectory(a) && a.getFileName().toString().startsWith(".build-" + d.hex() + "-"));
    assertEquals(layout.viewsDir(), a.getParent());
    Path trash = layout.newTrashPath(d);
    assertTrue(trash.getFileName().toString().startsWith(".trash-" + d.hex() + "-"));
    assertFalse(Files.exists(trash));
  }

  @Test
  void newVariantTemp_liesBesideItsVariant_andIsRecognisedAsACopyBeingMade_notAsAVariant() throws Exception {
    ViewLayout layout = CacheLayout.at(dir).views();
    Path variant = layout.variantPath(d, 0555, 1_700_000_000L);
    Path temp = layout.newVariantTemp(variant);
    assertTrue(Files.isRegularFile(temp));
    assertEquals(variant.getParent(), temp.getParent());
    assertNotEquals(temp, layout.newVariantTemp(variant));
    assertTrue(ViewLayout.isVariantTemp(temp.getFileName().toString()), temp.toString());
    assertFalse(ViewLayout.isVariantName(temp.getFileName().toString()));
    assertFalse(ViewLayout.isVariantTemp(variant.getFileName().toString()));
    assertTrue(ViewLayout.isShard(variant.getParent().getFileName().toString()));
  }

  @Test
  void namesInViews_areRecognisedAsViewsOrLeftovers() throws Exception {
    ViewLayout layout = CacheLayout.at(dir).views();
    assertEquals(Optional.of(d), ViewLayout.manifestOf(layout.viewDir(d).getFileName().toString()));
    String build = layout.newBuildDir(d).getFileName().toString();
    String trash = layout.newTrashPath(d).getFileName().toString();
    assertTrue(ViewLayout.isBuildOrTrash(build) && ViewLayout.isBuildOrTrash(trash));
    assertEquals(Optional.empty(), ViewLayout.manifestOf(build));
    assertEquals(Optional.empty(), ViewLayout.manifestOf("README"));
    assertEquals(Optional.empty(), ViewLayout.manifestOf("z".repeat(64)));
    assertFalse(ViewLayout.isBuildOrTrash(d.hex()));
  }
}
