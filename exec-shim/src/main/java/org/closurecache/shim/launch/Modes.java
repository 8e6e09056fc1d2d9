package org.closurecache.shim.launch;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Chooses how a job is launched. <b>namespace</b>: bubblewrap gives the job a mount namespace
 * whose root is the view (or the node's root with the view over it), so every absolute path,
 * {@code /proc/self/exe} and {@code $ORIGIN} are what they were on the publishing host.
 * <b>loader</b>: no namespace; the view's own {@code ld.so} runs the program with the view's
 * library directories only (limits in {@link #LOADER_LIMITS}). {@code auto} takes namespace mode
 * when bwrap actually works here (it may be installed but refused user namespaces), else loader
 * mode. Thread-safe (no state).
 */
public final class Modes {
  /** The one-line warning printed whenever loader mode is chosen. */
  public static final String LOADER_LIMITS = "loader mode: /proc/self/exe is the loader, absolute paths"
      + " (data files, dlopen, child programs) reach the node's own files, and a library missing from the view"
      + " falls back to the node's system directories";

  private Modes() {}

  public enum Mode {
    AUTO, NAMESPACE, LOADER;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Namespace mode when {@code bwrap} can make a mount namespace here, else loader mode. */
  public static Mode resolve(Mode asked, String bwrap) {
    if (asked != Mode.AUTO) {
      return asked;
    }
    return bwrapWorks(bwrap) ? Mode.NAMESPACE : Mode.LOADER;
  }

  /** Runs bwrap itself inside a sandbox ({@code /proc/self/exe --version}): a few ms. */
  static boolean bwrapWorks(String bwrap) {
    try {
      Process p = new ProcessBuilder(List.of(bwrap, "--ro-bind", "/", "/", "--", "/proc/self/exe", "--version"))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
