/**
 * The master's object store: verified object files under a store root plus one RocksDB index
 * of objects, manifests and tags.
 *
 * <p>{@link org.closurecache.server.store.StoreLayout} is the only class that builds paths under
 * the root; {@link org.closurecache.server.store.StoreIndex} is the master's index (the shared
 * object table plus manifests and tag history) on the engine's {@code IndexDatabase};
 * {@link org.closurecache.server.store.ObjectStore} combines them with the write protocol (temp
 * file, verify while streaming, fsync, the engine's atomic publication, index). What is the same
 * on the node (object layout, durability, the RocksDB owner, the object table, the reconciler)
 * lives in cache-store. Depends on {@code org.closurecache.core.digest} and cache-store.
 */
package org.closurecache.server.store;
