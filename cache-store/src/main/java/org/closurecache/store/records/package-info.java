/**
 * The record files both sides keep beside their index, so that it can be rebuilt: {@link
 * org.closurecache.store.records.ManifestFiles} (stored signed manifests) and {@link
 * org.closurecache.store.records.FormatFile} (which format a root is in). What else each side
 * keeps (the master's tag history, the node's pins and accepted tags) stays with that side.
 * Depends on {@code org.closurecache.store.fs}, {@code org.closurecache.store.objects} and
 * {@code org.closurecache.core.digest}.
 */
package org.closurecache.store.records;
