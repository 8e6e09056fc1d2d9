package org.closurecache.server.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** fsync helpers the write protocol needs and the JDK does not name. Stateless. */
final class Durability {
  private Durability() {}

  /**
   * fsyncs a directory, making renames and creations inside it durable. Linux allows opening a
   * directory read-only and calling fsync on it; without this a crash after rename can lose the
   * new name even though the file's data was synced.
   */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
