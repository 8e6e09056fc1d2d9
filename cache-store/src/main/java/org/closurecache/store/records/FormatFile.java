package org.closurecache.store.records;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.closurecache.store.fs.AtomicPublish;

/**
 * A root's {@code format} file: which on-disk format its contents follow. {@link #CURRENT} ("2")
 * means the manifests (and tags, pins) are kept as files beside the index, so the index can be
 * rebuilt from them; a root without it is migrated by its next writer. Stateless.
 */
public final class FormatFile {
  public static final String CURRENT = "2";

  private FormatFile() {}

  public static boolean isCurrent(Path file) throws IOException {
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.readString(file).strip().equals(CURRENT);
  }

  public static void markCurrent(Path file, Path tempDir) throws IOException {
    AtomicPublish.write(file, tempDir, true, (CURRENT + "\n").getBytes(StandardCharsets.US_ASCII));
  }
}
