/**
 * The index database of a store or cache: {@link org.closurecache.store.index.IndexDatabase}
 * owns one RocksDB database (options, column families, lifecycle, documented close order, synced
 * or relaxed writes, {@link org.closurecache.store.index.IndexBatch atomic batches}); the handle
 * never leaves it. {@link org.closurecache.store.index.IndexSpec} says what a database holds and
 * how much memory it may use; failures are typed ({@link
 * org.closurecache.store.index.IndexLockedException}, {@link
 * org.closurecache.store.index.IndexCorruptException}); {@link org.closurecache.store.index.Keys}
 * holds the byte formats both sides share. Depends on {@code org.closurecache.core.digest} and
 * RocksDB.
 */
package org.closurecache.store.index;
