package org.closurecache.server.store;

import static org.closurecache.server.store.StoreFixtures.filesUnder;
import static org.closurecache.server.store.StoreFixtures.hashOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.closurecache.core.digest.Digest;
import org.closurecache.server.store.ObjectStore.Reconciliation;
import org.closurecache.store.objects.ObjectEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectStoreReconcileTest {
  @TempDir Path root;

  @Test
  void open_repairsStrayTempFilesUnindexedFilesOrphanEntriesAndGarbage() throws IOException {
    StoreLayout layout = StoreLayout.at(root);
    layout.create();
    byte[] unindexedBytes = "written, renamed, then the index entry was lost".getBytes(StandardCharsets.UTF_8);
    Digest unindexed = Digest.of(unindexedBytes);
    Files.createDirectories(layout.shardDir(unindexed));
    Files.write(layout.objectPath(unindexed), unindexedBytes);
    Files.write(layout.newTempFile(), new byte[100]);
    Files.createDirectories(layout.tmpDir().resolve("leftover-dir"));
    Digest fileless = Digest.of("entry whose file is gone".getBytes(StandardCharsets.UTF_8));
    try (StoreIndex index = StoreIndex.open(layout.indexDir())) {
      index.putObjects(Map.of(fileless, new ObjectEntry(24, 1)));
    }
    Files.createDirectories(layout.objectsDir().resolve("ab"));
    Path garbage = layout.objectsDir().resolve("ab").resolve("not-a-digest");
    Files.write(garbage, new byte[] {1});
    String wrongShardHex = "cd" + unindexed.hex().substring(2);
    Files.write(layout.objectsDir().resolve("ab").resolve(wrongShardHex), new byte[] {2});
    Files.write(layout.objectsDir().resolve("README"), new byte[] {3});

    try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
      assertEquals(new Reconciliation(2, 1, 1, 3, 0), store.startupReconciliation());

      assertTrue(store.contains(unindexed));
      assertEquals(unindexedBytes.length, store.index().object(unindexed).orElseThrow().size());
      assertEquals(unindexed, hashOf(store.file(unindexed).orElseThrow()));
      assertFalse(store.index().object(fileless).isPresent());
      assertEquals(1, store.index().objectCount());
      assertEquals(unindexedBytes.length, store.index().objectBytes());
      assertEquals(List.of(), filesUnder(layout.tmpDir()));
      assertFalse(Files.exists(garbage));
      assertTrue(Files.exists(layout.quarantineDir().resolve("ab").resolve("not-a-digest")));
      assertTrue(Files.exists(layout.quarantineDir().resolve("ab").resolve(wrongShardHex)));
      assertTrue(Files.exists(layout.quarantineDir().resolve("README")));

      // A second pass finds nothing left to do.
      assertEquals(new Reconciliation(0, 0, 0, 0, 0), store.reconcile());
    }
  }

  @Test
  void quarantine_neverOverwritesEarlierQuarantinedFiles() throws IOException {
    StoreLayout layout = StoreLayout.at(root);
    layout.create();
    Path dir = layout.objectsDir().resolve("ab");
    Files.createDirectories(dir);
    Files.write(dir.resolve("junk"), new byte[] {1});
    try (ObjectStore store = ObjectStore.open(root, 1 << 20)) {
      Files.write(dir.resolve("junk"), new byte[] {2});
      assertEquals(1, store.reconcile().quarantined());
    }
    assertEquals(1, Files.readAllBytes(layout.quarantineDir().resolve("ab/junk"))[0]);
    assertEquals(2, Files.readAllBytes(layout.quarantineDir().resolve("ab/junk.1"))[0]);
  }
}
