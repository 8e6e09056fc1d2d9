package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * The writer lock of one cache root: one process at a time, and within it one {@link NodeCache}.
 *
 * <p>Across processes it is an exclusive {@link FileChannel#lock()} on {@code root/lock}; the
 * holder writes its pid into the file so that a waiter can say whom it waits for, and truncates
 * it before releasing. The kernel drops the lock when the holder dies, even by {@code kill -9}, so
 * a stale lock file never blocks anyone.
 *
 * <p>Within a process, POSIX record locks do not exclude anything (the JDK throws
 * {@link java.nio.channels.OverlappingFileLockException}), and closing <em>any</em> descriptor of
 * the file would drop the process's lock. So a per-path permit is taken first, and only its owner
 * ever opens the lock file. A permit, not a {@code ReentrantLock}: the cache may be closed by
 * another thread than the one that opened it. Opening the same root twice on one thread without
 * closing it in between therefore waits forever.
 *
 * <p>Not thread-safe itself; {@link #acquire} and {@link #release} are each called once.
 */
final class CacheLock {
  private static final ConcurrentHashMap<Path, Semaphore> IN_PROCESS = new ConcurrentHashMap<>();
  private static final long PID_READ_RETRY_MILLIS = 5;
  private static final int PID_READ_ATTEMPTS = 20;

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

  /** Blocks until this process holds the lock; tells {@code waiter} once if it has to wait. */
  static CacheLock acquire(Path file, Waiter waiter) throws IOException {
    Semaphore local = IN_PROCESS.computeIfAbsent(file, f -> new Semaphore(1, true));
    boolean told = false;
    if (!local.tryAcquire()) {
      waiter.waiting("another NodeCache in this process (pid " + ProcessHandle.current().pid() + ")");
      told = true;
      try {
        local.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for " + file);
      }
    }
    CacheLock l = new CacheLock(file, local);
    try {
      l.lockFile(waiter, told);
      return l;
    } catch (IOException | RuntimeException | Error e) {
      l.release();
      throw e;
    }
  }

  private void lockFile(Waiter waiter, boolean told) throws IOException {
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    lock = channel.tryLock();
    if (lock == null) {
      if (!told) {
        waiter.waiting("another cache-client (" + holderPid() + ")");
      }
      lock = channel.lock(); // blocks; interruptible (closes the channel)
    }
    byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(pid), 0);
    // No fsync: the pid is a courtesy for waiters, the lock itself lives in the kernel.
  }

  /** "pid N" as written by the holder; it writes right after locking, so retry briefly. */
  private String holderPid() throws IOException {
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
