package org.closurecache.store.index;

import java.util.List;
import org.closurecache.store.objects.ObjectTable;

/** Index specs for the engine's tests: small, with advice texts the tests look for. */
public final class TestIndexes {
  public static final String LOCKED_ADVICE = "stop the other test instance";

  /** Memory small enough that a few hundred KiB of puts flush memtables into SST files. */
  public static final IndexSpec.Memory TINY = new IndexSpec.Memory(1L << 20, 1L << 20, 64L << 10, 1, 16, 1);

  /** Two families, {@code a} and {@code b}. */
  public static final IndexSpec SPEC = spec(List.of("a", "b"), IndexSpec.Memory.NODE);

  /** The families an {@link ObjectTable} needs, and one more. */
  public static final IndexSpec OBJECTS =
      spec(List.of(ObjectTable.OBJECTS, "other", ObjectTable.COUNTERS), IndexSpec.Memory.NODE);

  private TestIndexes() {}

  public static IndexSpec spec(List<String> families, IndexSpec.Memory memory) {
    return new IndexSpec("test index", families, memory,
        dir -> "rebuild it from the files beside " + dir.getParent(), LOCKED_ADVICE);
  }
}
