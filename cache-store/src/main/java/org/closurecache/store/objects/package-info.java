/**
 * Object files and their index entries, the same on both sides: {@link
 * org.closurecache.store.objects.ObjectLayout} (where files live), {@link
 * org.closurecache.store.objects.ObjectTable} (entries with exact counters, the clean-close marker)
 * and {@link org.closurecache.store.objects.ObjectReconciler} (agreement of the two, with re-hashing
 * for fsck). Depends on {@code org.closurecache.store.index}, {@code org.closurecache.store.fs} and
 * {@code org.closurecache.core.digest}.
 */
package org.closurecache.store.objects;
