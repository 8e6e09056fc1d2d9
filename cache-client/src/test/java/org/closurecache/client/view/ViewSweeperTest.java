package org.closurecache.client.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The removal of one view for a rebuild; gc's sweeps are tested through NodeCache (NodeCacheGcViewsTest). */
class ViewSweeperTest {
  @TempDir Path base;

  @Test
  void discard_removesTheWholeViewWithoutFollowingItsSymlinks_andLeavesNoTrash() throws IOException {
    TestCache cache = new TestCache(base.resolve("cache"));
    Path outside = Files.writeString(Files.createDirectories(base.resolve("outside")).resolve("precious"), "keep");
    FileEntry tool = cache.file("#!/bin/sh\n", 0755, 1_700_000_000L);  // needs a variant
    Manifest m = TestCache.manifest()
        .file("/usr/bin/tool", tool)
        .file("/usr/lib/libx.so", cache.file("a library"))
        .symlink("/opt/precious", outside.toString())
        .symlink("/usr/lib/outside", outside.getParent().toString())
        .entry("/usr/bin/tool")
        .build();
    Digest d = ManifestCodec.digest(m);
    Path view = new ViewBuilder(cache.views).build(d, m, (root, plan) -> Files.writeString(plan.resolve("args"), "x"))
        .dir();
    assertEquals(cache.views.viewDir(d), view);

    ViewSweeper.discard(cache.views, d);

    assertFalse(Files.exists(view), "the view is gone");
    assertEquals(List.of(), names(cache.views.viewsDir()), "nothing is left in views/, no trash either");
    assertEquals("keep", Files.readString(outside), "symlink targets are left alone");
    assertTrue(Files.isRegularFile(cache.layout.objectPath(tool.digest())), "objects stay");
    Path variant = cache.views.variantPath(tool.digest(), ViewBuilder.presentedMode(0755), 1_700_000_000L);
    assertEquals(1, ((Number) Files.getAttribute(variant, "unix:nlink")).intValue(),
        "the variant stays, unlinked, for gc to take");

    ViewSweeper.discard(cache.views, d);  // no view: nothing to do
    assertEquals(List.of(), names(cache.views.viewsDir()));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
