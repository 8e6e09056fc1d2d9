package org.closurecache.client.capture;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Finds the file a command name runs, as {@code execvp} does: a name with a slash is taken
 * against the working directory; a bare name is searched in {@code PATH}. Symlinks are kept (the
 * manifest records the path as invoked). Thread-safe (no state).
 */
public final class ProgramLocator {
  private ProgramLocator() {}

  public static String locate(String command, String path, String cwd) throws NoSuchFileException {
    if (command.isEmpty()) {
      throw new NoSuchFileException("", null, "empty program name");
    }
    if (command.indexOf('/') >= 0) {
      String absolute = command.startsWith("/") ? command : Path.of(cwd, command).normalize().toString();
      if (!Files.isRegularFile(Path.of(absolute))) {
        throw new NoSuchFileException(absolute, null, "no such program");
      }
      return absolute;
    }
    for (String dir : (path == null ? "/usr/local/bin:/usr/bin:/bin" : path).split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? cwd : dir, command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate.isAbsolute() ? candidate.toString() : Path.of(cwd).resolve(candidate).normalize().toString();
      }
    }
    throw new NoSuchFileException(command, null, "not found in PATH");
  }
}
