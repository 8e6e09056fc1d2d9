package org.closurecache.client.running;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.core.digest.Digest;

/**
 * How gc knows a job is running from the cache. Two marks in {@code running/}, either of which
 * keeps the manifest's closure (and its view) through every gc:
 *
 * <ul>
 *   <li><b>{@code running/<manifest hex>}, a shared lock</b> ({@link #markRunning}): the process
 *       that runs the closure holds a shared lock on it for as long as it runs (the launcher takes
 *       it before starting the job and keeps the descriptor open, so the lock lives exactly as
 *       long as the job, whatever way it ends). gc asks for an exclusive lock without waiting; a
 *       refusal means someone runs it. Stale files (no holder) are harmless and left in place (one
 *       empty file per manifest ever run): deleting one safely would race with a launcher that
 *       has opened it but not yet locked it.
 *   <li><b>{@code running/<manifest hex>.<pid>}, a pid file</b> ({@link #markRunningPid}), for
 *       launchers without a JVM or {@code flock}: a shell launcher writes it for its own pid and
 *       then {@code exec}s the job, so the pid lives exactly as long as the job. Name: the
 *       manifest's 64 lower-case hex digits, a dot, the pid in decimal (no sign, no leading zero).
 *       Content: the process's start time, field 22 of {@code /proc/<pid>/stat} (clock ticks since
 *       boot, in decimal), then a newline ({@code "123456\n"}). In bash:
 *       <pre>
 *   read -r stat &lt; /proc/$$/stat; rest=${stat##*) }; read -ra f &lt;&lt;&lt; "$rest"
 *   printf '%s\n' "${f[19]}" &gt; "$cache/running/$hex.$$"   # then: exec the job</pre>
 *       (the command name in field 2 may hold spaces and {@code ')'}, so the fields are counted
 *       after the <em>last</em> {@code ')'}; field 3 is the first after it). The mark holds while
 *       {@code /proc/<pid>/stat} exists and shows that start time; a file whose process is gone,
 *       or whose pid now names another process (another start time: pid reuse), is stale and
 *       {@link #inUse} deletes it (safe: a live launcher only writes its own pid). A file whose
 *       content is not a start time (empty, say, while its launcher is writing it) counts as in
 *       use while its pid lives, and is stale once it is gone; names that do not have the form
 *       above are ignored. gc must see the launcher's pid namespace's {@code /proc}. Writing to
 *       a temp name that does not have the form (e.g. {@code .<hex>.<pid>.tmp}) and renaming it
 *       into place avoids the empty moment, as {@link #markRunningPid} does.
 * </ul>
 *
 * Thread-safe (no state).
 */
public final class RunningJobs {
  private static final Pattern PID_FILE = Pattern.compile("([0-9a-f]{64})\\.([1-9][0-9]{0,17})");
  /** Start times are decimal clock ticks; far longer content is not one (nor worth reading). */
  private static final int MAX_CONTENT = 64;
  private static final Path PROC = Path.of("/proc");

  private RunningJobs() {}

  /** Marks {@code manifest} as running until the returned lock is released (or the process ends). */
  public static FileLock markRunning(CacheLayout layout, Digest manifest) throws IOException {
    Path file = Files.createDirectories(layout.runningDir()).resolve(manifest.hex());
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      return channel.lock(0, Long.MAX_VALUE, true);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Marks {@code manifest} as running for as long as process {@code pid} lives, by writing {@code
   * running/<manifest hex>.<pid>} (format above; atomically, through a temp name and a rename).
   * Nobody needs to remove it: once the process is gone, {@link #inUse} does.
   *
   * @return the file written
   * @throws NoSuchFileException if there is no process {@code pid}
   */
  public static Path markRunningPid(CacheLayout layout, Digest manifest, long pid) throws IOException {
    if (pid <= 0) {
      throw new IllegalArgumentException("pid must be positive, got " + pid);
    }
    long start = startTime(pid).orElseThrow(() -> new NoSuchFileException(
        PROC.resolve(Long.toString(pid)).resolve("stat").toString(), null, "no process " + pid));
    Path dir = Files.createDirectories(layout.runningDir());
    Path file = dir.resolve(manifest.hex() + "." + pid);
    Path temp = Files.createTempFile(dir, "." + manifest.hex() + "." + pid + ".", ".tmp");
    try {
      Files.writeString(temp, start + "\n", StandardCharsets.US_ASCII);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return file;
  }

  /**
   * When each manifest was last launched by a launcher that writes pid files: the newest
   * modification time of its {@code running/<hex>.<pid>} files, live or stale. Launches through
   * {@code exec-view} never open the index, so gc feeds this into the closures' last-used time
   * (before {@link #inUse} removes stale files) to keep least-recently-used order true.
   */
  public static Map<Digest, Long> lastLaunched(CacheLayout layout) throws IOException {
    Map<Digest, Long> out = new HashMap<>();
    Path dir = layout.runningDir();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        Matcher pidFile = PID_FILE.matcher(file.getFileName().toString());
        if (!pidFile.matches()) {
          continue;
        }
        long millis;
        try {
          millis = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis();
        } catch (NoSuchFileException gone) {
          continue;
        }
        out.merge(Digest.ofHex(pidFile.group(1)), millis, Math::max);
      }
    }
    return out;
  }

  /** Manifests some process runs now, by either mark; deletes stale pid files on the way. */
  public static Set<Digest> inUse(CacheLayout layout) throws IOException {
    Set<Digest> out = new HashSet<>();
    Path dir = layout.runningDir();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        Matcher pidFile = PID_FILE.matcher(name);
        if (pidFile.matches()) {
          if (pidFileLive(file, Long.parseLong(pidFile.group(2)))) {
            out.add(Digest.ofHex(pidFile.group(1)));
          }
          continue;
        }
        Digest manifest;
        try {
          manifest = Digest.ofHex(name);
        } catch (IllegalArgumentException e) {
          continue;  // not ours
        }
        if (lockHeld(file)) {
          out.add(manifest);
        }
      }
    }
    return out;
  }

  private static boolean lockHeld(Path file) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      FileLock probe = channel.tryLock();
      if (probe == null) {
        return true;
      }
      probe.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;  // this very process runs it
    }
  }

  /** True if the pid file marks a live job; deletes it if it is stale. */
  private static boolean pidFileLive(Path file, long pid) throws IOException {
    Content first = content(file);
    if (first == Content.GONE) {
      return false;
    }
    OptionalLong running = startTime(pid);
    if (running.isPresent() && (first.startTime().isEmpty() || first.startTime().getAsLong() == running.getAsLong())) {
      return true;
    }
    // Stale. Read it once more just before deleting: if it changed, a launcher with this pid has
    // just rewritten it (pid reuse), and it is that launcher's mark now.
    if (!content(file).equals(first)) {
      return true;
    }
    Files.deleteIfExists(file);
    return false;
  }

  /** A pid file's content: the start time it holds, or none if it is malformed. */
  private record Content(boolean exists, OptionalLong startTime) {
    static final Content GONE = new Content(false, OptionalLong.empty());
  }

  private static Content content(Path file) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      // gone, or a directory or symlink under a pid file's name: nobody's mark; leave it alone
      return Content.GONE;
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes(MAX_CONTENT + 1);
    } catch (NoSuchFileException e) {
      return Content.GONE;
    }
    String text = new String(bytes, StandardCharsets.US_ASCII);
    if (bytes.length > MAX_CONTENT || !text.matches("[0-9]{1,19}\n?")) {
      return new Content(true, OptionalLong.empty());
    }
    try {
      return new Content(true, OptionalLong.of(Long.parseLong(text.strip())));
    } catch (NumberFormatException e) {
      return new Content(true, OptionalLong.empty());
    }
  }

  /**
   * Field 22 (starttime) of {@code /proc/<pid>/stat}; empty if there is no such process. The
   * command name (field 2, in parentheses) may contain spaces and {@code ')'}: fields are
   * counted from the last {@code ')'}.
   */
  static OptionalLong startTime(long pid) throws IOException {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    } catch (IOException e) {
      // ESRCH: the process ended between open and read
      if (!Files.exists(PROC.resolve(Long.toString(pid)))) {
        return OptionalLong.empty();
      }
      throw e;
    }
    return parseStartTime(stat);
  }

  /** Field 22 of a {@code /proc/<pid>/stat} line; empty if it does not have one. */
  static OptionalLong parseStartTime(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return OptionalLong.empty();
    }
    String[] fields = stat.substring(close + 1).strip().split(" +");
    int index = 22 - 3;  // fields[0] is field 3 (state)
    if (fields.length <= index) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(fields[index]));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
