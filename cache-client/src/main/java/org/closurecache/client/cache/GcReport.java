package org.closurecache.client.cache;

import java.util.List;

/**
 * What {@link NodeCache#gc} did. {@code bytesFreed}: the sizes of object and variant files whose last
 * link gc removed (an object a view still links frees nothing); {@code bytesAfter}: the objects
 * still indexed; {@code viewsRemoved}: views (and leftover build or trash directories) deleted;
 * {@code keptReasons}: what it was not allowed to evict or could not remove, and why.
 */
public record GcReport(int closuresEvicted, int objectsRemoved, long bytesFreed, long bytesAfter,
    int viewsRemoved, int variantsRemoved, List<String> keptReasons) {
  public GcReport {
    if (closuresEvicted < 0 || objectsRemoved < 0 || bytesFreed < 0 || bytesAfter < 0 || viewsRemoved < 0
        || variantsRemoved < 0) {
      throw new IllegalArgumentException("gc counts must not be negative");
    }
    keptReasons = List.copyOf(keptReasons);
  }
}
