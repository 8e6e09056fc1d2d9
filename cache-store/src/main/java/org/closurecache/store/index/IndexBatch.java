package org.closurecache.store.index;

import java.util.ArrayList;
import java.util.List;

/**
 * Puts and deletes to commit in one atomic {@link IndexDatabase#write}. Plain Java until then,
 * so building one needs no open database and leaks no native memory. Keys and values are held,
 * not copied (a value may be a 32 MiB manifest): the caller must not change them until the write.
 * Not thread-safe.
 */
public final class IndexBatch {
  record Op(Family family, byte[] key, byte[] value) {} // value null: delete

  final List<Op> ops = new ArrayList<>();

  public IndexBatch put(Family family, byte[] key, byte[] value) {
    if (value == null) {
      throw new IllegalArgumentException("value must not be null; use delete");
    }
    ops.add(new Op(family, key, value));
    return this;
  }

  public IndexBatch delete(Family family, byte[] key) {
    ops.add(new Op(family, key, null));
    return this;
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }

  public int size() {
    return ops.size();
  }
}
