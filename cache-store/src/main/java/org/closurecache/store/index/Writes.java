package org.closurecache.store.index;

/** How a write reaches the disk. The WAL is always written; the difference is its fsync. */
public enum Writes {
  /**
   * The WAL record is fsynced before the write returns: it survives a power loss. Because the WAL
   * is one log, this also makes every earlier relaxed write durable.
   */
  SYNCED,
  /**
   * The WAL record reaches the OS at once and survives a process crash, but a power loss can drop
   * the last ones. For entries the files can rebuild.
   */
  RELAXED
}
