package org.closurecache.client.running;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.core.digest.Digest;

/**
 * How gc knows a job is running from the cache: marks in {@code running/}, one directory per
 * user, that only that user can write and that gc trusts only when the file's owner, the
 * process's real uid and its start time agree. This class owns the layout under {@code running/}:
 *
 * <pre>
 * running/                   mode 1777 (sticky, like /tmp): every user makes its own directory here
 * running/&lt;uid&gt;/             a user's marks: named by its real uid in decimal, owned by that uid,
 *                            mode 0755 (writable by its owner only; readable, so a gc run by the
 *                            cache's admin sees it)
 * running/&lt;uid&gt;/&lt;hex&gt;.&lt;pid&gt;   a pid mark: process &lt;pid&gt; runs manifest &lt;hex&gt;
 * running/&lt;uid&gt;/&lt;hex&gt;         a lock mark: whoever holds a shared lock on it runs &lt;hex&gt;
 * </pre>
 *
 * <p><b>Why per-user directories.</b> In one shared, world-writable directory any user can plant
 * a symlink under the name another user's launcher (root's, say) is about to write, and have it
 * write a file of the attacker's choice, or plant marks for someone else's pid. A directory only
 * its owner can write has nothing in it its owner did not put there, and the sticky bit keeps
 * anyone else from renaming or removing it. A name taken first by another user (a directory named
 * {@code 0} owned by uid 65534, a symlink) is an <em>impostor</em>: no mark in it is trusted, the
 * launcher of that uid warns and writes none, and {@link #inUse} frees the name when it has the
 * right to, as root does: it unlinks the entry, or renames a directory with something in it to
 * {@code running/.impostor-<uid>-<random>}, never walking into it or following a symlink.
 *
 * <p><b>Trust.</b> A user directory counts only when it is a directory (not a symlink), its name
 * is its owner's uid and neither its group nor others may write it. A mark in it counts only when
 * it is a regular file owned by that uid. A pid mark holds while {@code /proc/<pid>} exists, shows
 * the start time written in the mark (pid reuse gives another start time) and the real uid of the
 * directory (the {@code Uid:} line of {@code /proc/<pid>/status}): a user cannot keep a closure
 * with a mark for pid 1 or for another user's process. So a user can keep a closure only by
 * running something, as a job would. A lock mark holds while someone holds a lock on it.
 *
 * <p><b>Pid marks</b> ({@link #markRunningPid}), for launchers without a JVM or {@code flock}: a
 * shell launcher writes one for its own pid and then {@code exec}s the job, so the pid lives
 * exactly as long as the job. Name: the manifest's 64 lower-case hex digits, a dot, the pid in
 * decimal (no sign, no leading zero). Content: the process's start time, field 22 of {@code
 * /proc/<pid>/stat} (clock ticks since boot, in decimal), then a newline. In bash:
 * <pre>
 *   read -r stat &lt; /proc/$$/stat; rest=${stat##*) }; read -ra f &lt;&lt;&lt; "$rest"
 *   d=$cache/running/$UID; [ -e "$d" ] || [ -L "$d" ] || mkdir -m 0755 "$d"
 *   [ ! -L "$d" ] &amp;&amp; [ -d "$d" ] &amp;&amp; [ -O "$d" ] &amp;&amp; printf '%s\n' "${f[19]}" &gt; "$d/$hex.$$"</pre>
 * (the command name in field 2 may hold spaces and {@code ')'}, so the fields are counted after
 * the <em>last</em> {@code ')'}). A mark whose content is not a start time (empty, say, while its
 * launcher is writing it) counts while its pid lives with that uid. A stale mark is deleted by
 * {@link #inUse} where it may (root may; an admin who is not root leaves other users' stale marks,
 * which their own launchers overwrite when the pid comes round again). gc must see the launcher's
 * pid namespace's {@code /proc}.
 *
 * <p>Entries directly in {@code running/} (the single-directory marks of earlier launchers) are
 * not trusted and left alone. Thread-safe (no state).
 */
public final class RunningJobs {
  private static final Pattern UID_NAME = Pattern.compile("0|[1-9][0-9]{0,9}");
  private static final Pattern PID_FILE = Pattern.compile("([0-9a-f]{64})\\.([1-9][0-9]{0,17})");
  private static final Pattern LOCK_FILE = Pattern.compile("[0-9a-f]{64}");
  /** Start times are decimal clock ticks; far longer content is not one (nor worth reading). */
  private static final int MAX_CONTENT = 64;
  private static final int TYPE_MASK = 0170000;
  private static final int DIRECTORY = 0040000;
  private static final int REGULAR = 0100000;
  private static final Path PROC = Path.of("/proc");

  private RunningJobs() {}

  /** {@code running/<uid>}: where the marks of user {@code uid} live. */
  public static Path userDir(CacheLayout layout, long uid) {
    if (uid < 0) {
      throw new IllegalArgumentException("uid must not be negative, got " + uid);
    }
    return layout.runningDir().resolve(Long.toString(uid));
  }

  /** Marks {@code manifest} as running until the returned lock is released (or the process ends). */
  public static FileLock markRunning(CacheLayout layout, Digest manifest) throws IOException {
    Path file = ownDir(layout).resolve(manifest.hex());
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    try {
      return channel.lock(0, Long.MAX_VALUE, true);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Marks {@code manifest} as running for as long as process {@code pid} lives, by writing {@code
   * running/<uid>/<manifest hex>.<pid>} (atomically, through a temp name and a rename). The process
   * must run as this process's user: nobody can mark another user's process. Nobody needs to
   * remove the mark: once the process is gone, {@link #inUse} does.
   *
   * @return the file written
   * @throws NoSuchFileException if there is no process {@code pid}
   * @throws IllegalArgumentException if {@code pid} is not positive or runs as another user
   */
  public static Path markRunningPid(CacheLayout layout, Digest manifest, long pid) throws IOException {
    if (pid <= 0) {
      throw new IllegalArgumentException("pid must be positive, got " + pid);
    }
    Proc process = process(pid).orElseThrow(() -> new NoSuchFileException(
        PROC.resolve(Long.toString(pid)).resolve("stat").toString(), null, "no process " + pid));
    long self = ownUid();
    if (process.realUid() != self) {
      throw new IllegalArgumentException("process " + pid + " runs as uid " + process.realUid()
          + ", not as this process's uid " + self + ": only a process's own user can mark it running");
    }
    Path dir = ownDir(layout);
    Path file = dir.resolve(manifest.hex() + "." + pid);
    Path temp = Files.createTempFile(dir, "." + manifest.hex() + "." + pid + ".", ".tmp");
    try {
      Files.writeString(temp, process.startTime() + "\n", StandardCharsets.US_ASCII);
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

  /** This process's user directory, made if missing; refused if another user holds its name. */
  private static Path ownDir(CacheLayout layout) throws IOException {
    long uid = ownUid();
    Path dir = userDir(layout, uid);
    Files.createDirectories(layout.runningDir());  // a writer opening the cache makes it 1777
    try {
      Files.createDirectory(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (FileAlreadyExistsException taken) {
      // ours from an earlier launch, or an impostor: checked below
    }
    if (!trustedUserDir(dir, uid)) {
      throw new IOException(dir + " is not this user's own directory (a symlink, another user's, or writable by"
          + " others): marks there are not trusted; remove it as root (cache-client gc does) and launch again");
    }
    return dir;
  }

  /**
   * When each manifest was last launched by a launcher that writes pid marks: the newest
   * modification time of its trusted {@code running/<uid>/<hex>.<pid>} files, live or stale.
   * Launches through {@code exec-view} never open the index, so gc feeds this into the closures'
   * last-used time (before {@link #inUse} removes stale files) to keep least-recently-used order
   * true.
   */
  public static Map<Digest, Long> lastLaunched(CacheLayout layout) throws IOException {
    Map<Digest, Long> out = new HashMap<>();
    for (UserDir user : userDirs(layout, false)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(user.dir())) {
        for (Path file : files) {
          Matcher pidFile = PID_FILE.matcher(file.getFileName().toString());
          if (!pidFile.matches()) {
            continue;
          }
          Optional<Map<String, Object>> a = attributes(file, "unix:mode,uid,lastModifiedTime");
          if (a.isPresent() && isOwned(a.get(), REGULAR, user.uid())) {
            long millis = ((FileTime) a.get().get("lastModifiedTime")).toMillis();
            out.merge(Digest.ofHex(pidFile.group(1)), millis, Math::max);
          }
        }
      }
    }
    return out;
  }

  /**
   * Manifests some process runs now, by a trusted mark; deletes stale pid marks and impostor
   * user directories on the way, where this process may.
   */
  public static Set<Digest> inUse(CacheLayout layout) throws IOException {
    Set<Digest> out = new HashSet<>();
    for (UserDir user : userDirs(layout, true)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(user.dir())) {
        for (Path file : files) {
          String name = file.getFileName().toString();
          Matcher pidFile = PID_FILE.matcher(name);
          if (pidFile.matches()) {
            if (pidFileLive(file, Long.parseLong(pidFile.group(2)), user.uid())) {
              out.add(Digest.ofHex(pidFile.group(1)));
            }
          } else if (LOCK_FILE.matcher(name).matches() && lockHeld(file, user.uid())) {
            out.add(Digest.ofHex(name));
          }
        }
      }
    }
    return out;
  }

  private record UserDir(Path dir, long uid) {}

  /** The trusted user directories; with {@code removeImpostors}, deletes the others it may. */
  private static List<UserDir> userDirs(CacheLayout layout, boolean removeImpostors) throws IOException {
    List<UserDir> out = new ArrayList<>();
    Path running = layout.runningDir();
    if (!Files.isDirectory(running, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(running)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!UID_NAME.matcher(name).matches()) {
          continue;  // an earlier launcher's mark, or not ours: left alone
        }
        long uid = Long.parseLong(name);
        Optional<Map<String, Object>> a = attributes(entry, "unix:mode,uid");
        if (a.isEmpty()) {
          continue;
        }
        if (trusted(a.get(), uid)) {
          out.add(new UserDir(entry, uid));
        } else if (removeImpostors && ((Number) a.get().get("uid")).longValue() != uid) {
          // another user took this uid's name: its real owner's launcher cannot mark anything until it goes
          removeImpostor(entry, uid);
        }
      }
    }
    return out;
  }

  /**
   * Frees the name of an entry another user planted under a uid's name. Never walks into it (a
   * tree its owner can change while root deletes in it would let it redirect the deletion): a
   * symlink, file or empty directory is unlinked; a directory with something in it is renamed to
   * {@code running/.impostor-<uid>-<random>}, a name no launcher or gc looks at.
   */
  private static void removeImpostor(Path entry, long uid) throws IOException {
    try {
      Files.delete(entry);
    } catch (DirectoryNotEmptyException full) {
      Path aside = entry.resolveSibling(".impostor-" + uid + "-"
          + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
      try {
        Files.move(entry, aside, StandardCopyOption.ATOMIC_MOVE);
      } catch (AccessDeniedException notRoot) {
        // only root may move another user's entry in a sticky directory
      }
    } catch (AccessDeniedException notRoot) {
      // only root may remove another user's entry from a sticky directory
    } catch (NoSuchFileException gone) {
      // its owner removed it
    }
  }

  private static boolean trustedUserDir(Path dir, long uid) throws IOException {
    Optional<Map<String, Object>> a = attributes(dir, "unix:mode,uid");
    return a.isPresent() && trusted(a.get(), uid);
  }

  private static boolean trusted(Map<String, Object> a, long uid) {
    return isOwned(a, DIRECTORY, uid) && (((Number) a.get("mode")).intValue() & 022) == 0;
  }

  private static boolean isOwned(Map<String, Object> a, int type, long uid) {
    return (((Number) a.get("mode")).intValue() & TYPE_MASK) == type && ((Number) a.get("uid")).longValue() == uid;
  }

  /** {@code lstat} attributes, empty if the entry is gone. */
  private static Optional<Map<String, Object>> attributes(Path p, String which) throws IOException {
    try {
      return Optional.of(Files.readAttributes(p, which, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException gone) {
      return Optional.empty();
    }
  }

  private static boolean lockHeld(Path file, long uid) throws IOException {
    Optional<Map<String, Object>> a = attributes(file, "unix:mode,uid");
    if (a.isEmpty() || !isOwned(a.get(), REGULAR, uid)) {
      return false;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      FileLock probe = channel.tryLock();
      if (probe == null) {
        return true;
      }
      probe.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;  // this very process runs it
    } catch (AccessDeniedException e) {
      return true;  // a gc that is neither root nor the owner cannot probe it: keep the closure
    } catch (NoSuchFileException gone) {
      return false;
    }
  }

  /** True if the pid mark is live; deletes it if it is stale. */
  private static boolean pidFileLive(Path file, long pid, long uid) throws IOException {
    Content first = content(file, uid);
    if (first == Content.GONE) {
      return false;
    }
    Optional<Proc> running = process(pid);
    if (running.isPresent() && running.get().realUid() == uid
        && (first.startTime().isEmpty() || first.startTime().getAsLong() == running.get().startTime())) {
      return true;
    }
    // Stale. Read it once more just before deleting: if it changed, a launcher with this pid has
    // just rewritten it (pid reuse), and it is that launcher's mark now.
    if (!content(file, uid).equals(first)) {
      return true;
    }
    try {
      Files.deleteIfExists(file);
    } catch (AccessDeniedException notRoot) {
      // another user's directory: its stale mark stays until its owner's launcher reuses the name
    }
    return false;
  }

  /** A pid mark's content: the start time it holds, or none if it is malformed. */
  private record Content(boolean exists, OptionalLong startTime) {
    static final Content GONE = new Content(false, OptionalLong.empty());
  }

  private static Content content(Path file, long uid) throws IOException {
    Optional<Map<String, Object>> a = attributes(file, "unix:mode,uid");
    if (a.isEmpty() || !isOwned(a.get(), REGULAR, uid)) {
      // gone, a directory or symlink under a mark's name, or not the user's own: nobody's mark
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

  /** What identifies a live process here: its start time and its real uid. */
  record Proc(long startTime, long realUid) {}

  /** Start time and real uid of {@code pid}; empty if there is no such process. */
  static Optional<Proc> process(long pid) throws IOException {
    Optional<String> stat = procFile(pid, "stat");
    Optional<String> status = procFile(pid, "status");
    if (stat.isEmpty() || status.isEmpty()) {
      return Optional.empty();
    }
    OptionalLong start = parseStartTime(stat.get());
    OptionalLong uid = parseRealUid(status.get());
    if (start.isEmpty() || uid.isEmpty()) {
      return Optional.empty();
    }
    // read stat again: had the pid been reused between the two reads, the start time would differ
    OptionalLong again = procFile(pid, "stat").map(RunningJobs::parseStartTime).orElse(OptionalLong.empty());
    return again.equals(start) ? Optional.of(new Proc(start.getAsLong(), uid.getAsLong())) : Optional.empty();
  }

  /**
   * Field 22 (starttime) of {@code /proc/<pid>/stat}; empty if there is no such process. The
   * command name (field 2, in parentheses) may contain spaces and {@code ')'}: fields are
   * counted from the last {@code ')'}.
   */
  static OptionalLong startTime(long pid) throws IOException {
    return procFile(pid, "stat").map(RunningJobs::parseStartTime).orElse(OptionalLong.empty());
  }

  private static long ownUid() throws IOException {
    return parseRealUid(Files.readString(PROC.resolve("self").resolve("status"), StandardCharsets.ISO_8859_1))
        .orElseThrow(() -> new IOException("/proc/self/status has no Uid: line"));
  }

  private static Optional<String> procFile(long pid, String name) throws IOException {
    try {
      return Optional.of(Files.readString(PROC.resolve(Long.toString(pid)).resolve(name), StandardCharsets.ISO_8859_1));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      // ESRCH: the process ended between open and read
      if (!Files.exists(PROC.resolve(Long.toString(pid)))) {
        return Optional.empty();
      }
      throw e;
    }
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

  /** The real uid, first number of the {@code Uid:} line of {@code /proc/<pid>/status}; empty if none. */
  static OptionalLong parseRealUid(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("Uid:")) {
        String[] ids = line.substring(4).strip().split("\\s+");
        try {
          return OptionalLong.of(Long.parseLong(ids[0]));
        } catch (NumberFormatException e) {
          return OptionalLong.empty();
        }
      }
    }
    return OptionalLong.empty();
  }
}
