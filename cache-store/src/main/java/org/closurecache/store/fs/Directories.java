package org.closurecache.store.fs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Listing of directories the reconcilers walk. Stateless. */
public final class Directories {
  private Directories() {}

  /** The entries of {@code dir}, or none if it is not a directory (a symlink is not followed). */
  public static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(entries::add);
    }
    return entries;
  }
}
