package org.closurecache.core.sign;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/** Writes small files whole and atomically, with their permissions set from creation. */
final class AtomicFiles {
  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicFiles() {}

  static void refuseExisting(Path file) throws FileAlreadyExistsException {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(file.toString(), null,
          "refusing to overwrite an existing key file; move it away or ask to overwrite explicitly");
    }
  }

  static void write(Path target, byte[] content, Set<PosixFilePermission> mode, boolean overwrite)
      throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (!Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      throw new IOException(dir + " is on a filesystem without POSIX permissions; key files cannot be protected there");
    }
    if (!overwrite) {
      refuseExisting(absolute);
    }
    byte[] nonce = new byte[8];
    RANDOM.nextBytes(nonce);
    Path tmp = dir.resolve("." + absolute.getFileName() + ".tmp-" + HexFormat.of().formatHex(nonce));
    try {
      // The mode is given at creation (umask can only remove bits), so the file never exists
      // with wider permissions than intended.
      try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(mode))) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      // Restore bits the umask removed (a public key should be 0644 even under umask 077).
      Files.setPosixFilePermissions(tmp, mode);
      if (overwrite) {
        Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        publishWithoutReplacing(tmp, absolute);
      }
      syncDirectory(dir);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** rename(2) silently replaces, so link(2), which fails on an existing name, closes the race. */
  private static void publishWithoutReplacing(Path tmp, Path target) throws IOException {
    try {
      Files.createLink(target, tmp);
    } catch (FileAlreadyExistsException e) {
      refuseExisting(target);
      throw e;
    } catch (UnsupportedOperationException | FileSystemException e) {
      // No hard links here (e.g. some FUSE or network filesystems): check, then rename.
      refuseExisting(target);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Best effort: some filesystems cannot open or sync directories; the data itself is synced.
    }
  }
}
