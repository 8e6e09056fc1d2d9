package org.closurecache.client.progress;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Reports long work to a person: on a terminal one line redrawn in place (objects, bytes, rate,
 * ETA); otherwise a plain line at most every few seconds, so logs stay readable. Callers report
 * bytes as they move, not per finished object, so the line keeps moving during one large object.
 * Thread-safe.
 */
public final class Progress {
  private static final long PLAIN_INTERVAL_NANOS = 5_000_000_000L;
  private static final long TTY_INTERVAL_NANOS = 100_000_000L;

  private final PrintWriter out;
  private final boolean tty;
  private final String what;
  private final long startNanos = System.nanoTime();
  private final long intervalNanos;
  /** When the last line was printed; set so that the first advance prints one. */
  private long lastNanos;
  private long objects;
  private long bytes;
  private long totalObjects;
  private long totalBytes;

  public Progress(PrintWriter out, boolean tty, String what) {
    this.out = out;
    this.tty = tty;
    this.what = what;
    this.intervalNanos = tty ? TTY_INTERVAL_NANOS : PLAIN_INTERVAL_NANOS;
    // System.nanoTime() has an arbitrary origin (it may be small or negative): measure from start
    this.lastNanos = startNanos - intervalNanos;
  }

  /** Nothing at all: for --quiet and --json. */
  public static Progress silent() {
    return new Progress(null, false, "");
  }

  public synchronized void total(long objects, long bytes) {
    this.totalObjects = objects;
    this.totalBytes = bytes;
  }

  /**
   * Adds {@code objectsDone} and {@code bytesDone} to the counts (bytes as they arrive, so a large
   * object moves the line; negative when bytes that failed verification are thrown away) and
   * prints if the interval has passed.
   */
  public synchronized void advance(long objectsDone, long bytesDone) {
    objects += objectsDone;
    bytes += bytesDone;
    long now = System.nanoTime();
    if (out != null && now - lastNanos >= intervalNanos) {
      lastNanos = now;
      print(false);
    }
  }

  public synchronized void finish() {
    if (out != null && totalObjects > 0) {
      print(true);
    }
  }

  private void print(boolean last) {
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    double rate = bytes / seconds;
    String eta = rate > 0 && totalBytes > bytes ? String.format(Locale.ROOT, ", ETA %.0fs", (totalBytes - bytes) / rate) : "";
    String line = String.format(Locale.ROOT, "%s %d/%d objects, %s/%s, %s/s%s", what, objects, totalObjects,
        human(bytes), human(totalBytes), human((long) rate), last ? "" : eta);
    if (tty) {
      int width = 30;
      int filled = totalBytes == 0 ? width : (int) Math.min(width, width * bytes / totalBytes);
      out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + line + "\033[K" + (last ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  public static String human(long n) {
    if (n < 1024) {
      return n + " B";
    }
    double v = n;
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
