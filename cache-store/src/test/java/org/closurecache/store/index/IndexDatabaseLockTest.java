package org.closurecache.store.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.closurecache.store.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The index's lock across processes: a second writer is refused clearly, a reader is not. */
class IndexDatabaseLockTest {
  @TempDir Path dir;

  @Test
  @Timeout(60)
  void open_whileAnotherProcessHoldsIt_throwsIndexLocked_butReadOnlyOpens_andAfterItClosesOpenWorks()
      throws Exception {
    Path index = dir.resolve("index");
    try (IndexDatabase db = IndexDatabase.open(index, TestIndexes.SPEC)) {
      db.put(db.family("a"), "k".getBytes(StandardCharsets.UTF_8), new byte[] {7}, Writes.SYNCED);
    }
    try (ChildJvm child = ChildJvm.start(IndexHolderMain.class, dir.resolve("child.err"), index.toString())) {
      child.awaitLine("open", 30);

      IndexLockedException e =
          assertThrows(IndexLockedException.class, () -> IndexDatabase.open(index, TestIndexes.SPEC));
      assertTrue(e.getMessage().contains(TestIndexes.LOCKED_ADVICE), e.getMessage());
      assertEquals(index.toAbsolutePath().normalize(), e.indexDir());
      try (IndexDatabase reader = IndexDatabase.openReadOnly(index, TestIndexes.SPEC)) {
        assertArrayEquals(new byte[] {7}, reader.get(reader.family("a"), "k".getBytes(StandardCharsets.UTF_8)));
      }

      child.sendLine();
      child.awaitLine("closed", 30);
    }
    IndexDatabase.open(index, TestIndexes.SPEC).close();
  }
}
