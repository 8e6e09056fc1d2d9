package org.closurecache.store.index;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * What an {@link IndexDatabase} is: its column families, its memory budget, how it names itself
 * in errors and what an operator should do when it is damaged. Immutable.
 *
 * @param what how errors name the database, e.g. {@code "cache index"}
 * @param families the column families besides {@code default}, in a fixed order
 * @param memory the native memory budget
 * @param repairAdvice for a damaged database at a path, the sentence that says what to do
 * @param lockedAdvice what to say when another instance holds the database
 */
public record IndexSpec(String what, List<String> families, Memory memory, Function<Path, String> repairAdvice,
    String lockedAdvice) {
  public IndexSpec {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(lockedAdvice, "lockedAdvice");
    Objects.requireNonNull(memory, "memory");
    Objects.requireNonNull(repairAdvice, "repairAdvice");
    families = List.copyOf(families);
    if (families.contains("default") || families.stream().distinct().count() != families.size()) {
      throw new IllegalArgumentException("families must be distinct and not 'default', got " + families);
    }
  }

  /**
   * Native memory of one database: an LRU block cache that holds data, index and filter blocks of
   * every family, memtables capped at {@code memtableBudgetBytes} in total and charged to that
   * cache, so the index stays near {@code blockCacheBytes} however large it grows.
   */
  public record Memory(long blockCacheBytes, long memtableBudgetBytes, long writeBufferBytes, int backgroundJobs,
      int maxOpenFiles, int keepInfoLogs) {
    public Memory {
      if (blockCacheBytes <= 0 || memtableBudgetBytes <= 0 || writeBufferBytes <= 0 || backgroundJobs < 1
          || maxOpenFiles < 16 || keepInfoLogs < 1) {
        throw new IllegalArgumentException("index memory settings out of range: " + blockCacheBytes + ", "
            + memtableBudgetBytes + ", " + writeBufferBytes + ", " + backgroundJobs + ", " + maxOpenFiles + ", "
            + keepInfoLogs);
      }
    }

    /** A master: 32 MiB block cache, 16 MiB of memtables, two background jobs (budget: 256 MiB RSS). */
    public static final Memory MASTER = new Memory(32L << 20, 16L << 20, 8L << 20, 2, 512, 4);

    /**
     * A node, beside its jobs: 8 MiB block cache, 8 MiB of memtables, one background job (index
     * writes are small and rare next to the object files).
     */
    public static final Memory NODE = new Memory(8L << 20, 8L << 20, 2L << 20, 1, 64, 2);
  }
}
