/**
 * Files and their durability, for both the master's store and the node's cache: {@link
 * org.closurecache.store.fs.AtomicPublish} (the one temp → sync → rename → sync-directory path),
 * {@link org.closurecache.store.fs.Durability} (fsync of files and directories, syncfs of a whole
 * filesystem), {@link org.closurecache.store.fs.FileTrees} (tree deletion that never follows a
 * symlink nor crosses a mount), {@link org.closurecache.store.fs.Quarantine} (moving what does
 * not belong aside, never deleting it) and {@link org.closurecache.store.fs.Directories}.
 * Depends on the JDK only.
 */
package org.closurecache.store.fs;
