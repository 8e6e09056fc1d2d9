/**
 * The master's object store: verified object files under a store root plus one RocksDB index
 * of objects, manifests and tags.
 *
 * <p>{@link org.closurecache.server.store.StoreLayout} is the only class that builds paths under
 * the root; {@link org.closurecache.server.store.StoreIndex} owns the RocksDB database;
 * {@link org.closurecache.server.store.ObjectStore} combines them with the write protocol (temp
 * file, verify while streaming, fsync, atomic rename, directory fsync, index). Depends only on
 * {@code org.closurecache.core.digest} and RocksDB.
 */
package org.closurecache.server.store;
