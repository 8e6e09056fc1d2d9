package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.IndexSpec;
import org.closurecache.store.objects.ObjectTable;

/**
 * The node cache's index on the engine's {@link IndexDatabase}: its families ({@code objects} and
 * {@code counters} as the engine's {@link ObjectTable} defines them, {@code manifests}, {@code
 * closures}, {@code tags}; formats in {@link CacheCodec}), the node's memory budget (it runs next
 * to jobs), and what its errors advise. Stateless.
 */
final class CacheIndex {
  static final String MANIFESTS = "manifests";
  static final String CLOSURES = "closures";
  static final String TAGS = "tags";

  private CacheIndex() {}

  static IndexSpec spec() {
    return new IndexSpec("cache index",
        List.of(ObjectTable.OBJECTS, MANIFESTS, CLOSURES, TAGS, ObjectTable.COUNTERS),
        IndexSpec.Memory.NODE,
        dir -> "stop every cache-client on this node and run `cache-client fsck --rebuild-index --cache "
            + dir.getParent() + "`: it rebuilds the index from the object and manifest files",
        "another process opened this cache's index without its lock; stop it");
  }

  static IndexDatabase open(Path dir) throws IOException {
    return IndexDatabase.open(dir, spec());
  }

  /** Opens for queries only, saying plainly why a reader cannot when it cannot. */
  static IndexDatabase openReadOnly(Path dir) throws IOException {
    if (Files.isDirectory(dir) && !(Files.isReadable(dir) && Files.isExecutable(dir))) {
      throw new AccessDeniedException(dir.toString(), null,
          "the cache index is readable by the cache's owner only; run this as that user");
    }
    if (!Files.isRegularFile(dir.resolve("CURRENT"))) {
      throw new NoSuchFileException(dir.toString(), null, "no cache index here; a writer (cache-client pull) creates it");
    }
    return IndexDatabase.openReadOnly(dir, spec());
  }
}
