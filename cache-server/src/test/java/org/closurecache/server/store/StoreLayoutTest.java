package org.closurecache.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLayoutTest {
  @TempDir Path root;

  @Test
  void objectPath_isShardedByFirstHexPair() {
    Digest d = Digest.of(new byte[0]);
    StoreLayout layout = StoreLayout.at(root);
    assertEquals(root.resolve("objects/e3/" + d.hex()), layout.objectPath(d));
  }

  @Test
  void create_isIdempotent_andTempFilesAreUniqueInTmp() throws IOException {
    StoreLayout layout = StoreLayout.at(root);
    layout.create();
    layout.create();
    Path a = layout.newTempFile();
    Path b = layout.newTempFile();
    assertNotEquals(a, b);
    assertEquals(layout.tmpDir(), a.getParent());
    assertTrue(Files.isDirectory(layout.objectsDir()));
    assertTrue(Files.isDirectory(layout.indexDir()));
    assertEquals(Files.getFileStore(layout.objectsDir()), Files.getFileStore(a));
  }
}
