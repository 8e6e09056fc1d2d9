/**
 * The node's local cache: verified, durable object files under a cache root plus one RocksDB index
 * of objects, manifests, closure state (complete, pinned, last used) and tag revisions.
 *
 * <p>{@link org.closurecache.client.cache.NodeCache} is the entry point; {@link
 * org.closurecache.client.cache.CacheLayout} is the only class that builds paths under the root,
 * but for {@code views/} and {@code variants/}, which belong to {@code org.closurecache.client.view}
 * ({@code CacheLayout.views()} hands out their layout). Package-private helpers: {@code CacheLock}
 * (writer lock), {@code CacheIndex} (the index's families, memory budget and advice on the
 * engine's {@code IndexDatabase}), {@code ClosureTable}/{@code TagTable} (families), {@code
 * CacheCodec} (their byte formats), {@code ObjectCommitter} (batch durability), {@code
 * CacheReconciler} (tmp/ and the engine's reconciler), {@code CacheGc} (gc; it sweeps {@code
 * views/} and {@code variants/} through the view package's {@code ViewSweeper}). The object
 * layout, table and reconciler, durability, atomic publication and tree deletion are the engine's
 * (cache-store), the same as the master's.
 *
 * <p><b>Concurrency design.</b> RocksDB allows one writing process per database, and a node may
 * start 128 ranks that all pull at once. So a writer first takes an exclusive {@code
 * FileChannel.lock()} on {@code root/lock} (blocking; the {@link
 * org.closurecache.client.cache.Waiter} is told once whom it waits for, by the pid the holder wrote
 * into the file), then opens RocksDB, and keeps both until {@code close()}. Everything that writes
 * the cache, including emptying {@code tmp/}, happens under that lock. The ranks thus take turns:
 * the first pulls, the others find the closure complete and fetch nothing. Within one process a
 * per-root permit serializes instances the same way, and one instance is shared by threads.
 * Readers that must not wait open the index read-only (no lock; a snapshot as of opening). The
 * kernel releases the lock when its holder dies, so a crashed writer never blocks the node; the
 * next writer repairs what it left (see {@link org.closurecache.client.cache.NodeCache}).
 *
 * <p>Depends on {@code org.closurecache.core} ({@code digest}, {@code manifest}, {@code json},
 * {@code sign}), cache-store and {@code org.closurecache.client.view} (which depends on nothing
 * else in cache-client); nothing else in cache-client. Never on cache-server.
 */
package org.closurecache.client.cache;
