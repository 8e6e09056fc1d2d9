package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The writer lock of one cache root: one process at a time, and within it one {@link NodeCache}.
 *
 * <p>Across processes it is an exclusive {@link FileChannel#tryLock()} on {@code root/lock}; the
 * holder writes its pid into the file so that a waiter can say whom it waits for, and truncates
 * it before releasing. The kernel drops the lock when the holder dies, even by {@code kill -9}, so
 * a stale lock file never blocks anyone.
 *
 * <p>The file is mode 0600 (tightened on every acquire, so a cache made with 0644 is fixed): a
 * user who cannot open it cannot take a shared lock on it and stall every writer. Waiting is
 * bounded: the lock is polled (every 10 ms at first, then every 200 ms) until {@code timeout},
 * then {@link CacheLockTimeoutException} names the holder. The holder is looked up in {@code
 * /proc/locks} (any process holding any lock on the file's inode, which names a holder that
 * never wrote its pid), else taken from the pid the holder wrote.
 *
 * <p>Within a process, POSIX record locks do not exclude anything (the JDK throws
 * {@link java.nio.channels.OverlappingFileLockException}), and closing <em>any</em> descriptor of
 * the file would drop the process's lock. So a per-path permit is taken first, and only its owner
 * ever opens the lock file. A permit, not a {@code ReentrantLock}: the cache may be closed by
 * another thread than the one that opened it. Opening the same root twice on one thread without
 * closing it in between therefore waits until the timeout.
 *
 * <p>Not thread-safe itself; {@link #acquire} and {@link #release} are each called once.
 */
final class CacheLock {
  /** How long {@link NodeCache#open} waits for the lock unless told otherwise. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
  static final Set<PosixFilePermission> MODE = PosixFilePermissions.fromString("rw-------");
  private static final ConcurrentHashMap<Path, Semaphore> IN_PROCESS = new ConcurrentHashMap<>();
  private static final long PID_READ_RETRY_MILLIS = 5;
  private static final int PID_READ_ATTEMPTS = 20;
  private static final long FIRST_POLL_MILLIS = 10;
  private static final long MAX_POLL_MILLIS = 200;

  private final Path file;
  private final Semaphore inProcess;
  private boolean holdsPermit;
  private FileChannel channel;
  private FileLock lock;

  private CacheLock(Path file, Semaphore inProcess) {
    this.file = file;
    this.inProcess = inProcess;
    this.holdsPermit = true;
  }

  /**
   * Waits at most {@code timeout} until this process holds the lock; tells {@code waiter} once if
   * it has to wait.
   *
   * @throws CacheLockTimeoutException naming the holder, when the timeout passes
   */
  static CacheLock acquire(Path file, Waiter waiter, Duration timeout) throws IOException {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("lock timeout must not be negative, got " + timeout);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Semaphore local = IN_PROCESS.computeIfAbsent(file, f -> new Semaphore(1, true));
    boolean told = false;
    if (!local.tryAcquire()) {
      String holder = "another NodeCache in this process (pid " + ProcessHandle.current().pid() + ")";
      waiter.waiting(holder);
      told = true;
      try {
        if (!local.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          throw new CacheLockTimeoutException(file, holder, timeout);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for " + file);
      }
    }
    CacheLock l = new CacheLock(file, local);
    try {
      l.lockFile(waiter, told, deadline, timeout);
      return l;
    } catch (IOException | RuntimeException | Error e) {
      l.release();
      throw e;
    }
  }

  private void lockFile(Waiter waiter, boolean told, long deadline, Duration timeout) throws IOException {
    // Never through a symlink, created private; an existing file (older caches made it 0644) is
    // tightened before anyone else can open it anew.
    channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(MODE));
    Files.setPosixFilePermissions(file, MODE);
    lock = channel.tryLock();
    long pause = FIRST_POLL_MILLIS;
    while (lock == null) {
      if (!told) {
        waiter.waiting("another cache-client (" + holderPid() + ")");
        told = true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new CacheLockTimeoutException(file, holderPid(), timeout);
      }
      try {
        Thread.sleep(Math.min(pause, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for " + file);
      }
      pause = Math.min(MAX_POLL_MILLIS, pause * 2);
      lock = channel.tryLock();
    }
    byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(pid), 0);
    // No fsync: the pid is a courtesy for waiters, the lock itself lives in the kernel.
  }

  /** "pid N": the kernel's lock table first, else what the holder wrote (right after locking, so retry briefly). */
  private String holderPid() throws IOException {
    OptionalLong fromKernel = LockTable.holder(file, ProcessHandle.current().pid());
    if (fromKernel.isPresent()) {
      return "pid " + fromKernel.getAsLong();
    }
    for (int attempt = 0; attempt < PID_READ_ATTEMPTS; attempt++) {
      ByteBuffer buf = ByteBuffer.allocate(32);
      channel.read(buf, 0);
      String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
      if (text.matches("[0-9]{1,19}")) {
        return "pid " + text;
      }
      try {
        Thread.sleep(PID_READ_RETRY_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return "pid unknown";
  }

  /** Releases both locks; idempotent. */
  void release() {
    try {
      if (lock != null && lock.isValid()) {
        channel.truncate(0); // a waiter must not name a process that is gone
        lock.release();
      }
    } catch (IOException ignored) {
      // Closing the channel below releases the lock in any case.
    } finally {
      lock = null;
      try {
        if (channel != null) {
          channel.close();
        }
      } catch (IOException ignored) {
        // nothing left to release
      }
      channel = null;
      if (holdsPermit) {
        holdsPermit = false;
        inProcess.release();
      }
    }
  }
}
