package org.closurecache.shim.launch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.core.manifest.LoadedLibrary;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.resolve.LoaderProfile;

/**
 * Checks made before a launch, each failing with a message that says what is wrong and what to
 * do, instead of a job that crashes with SIGILL or "cannot execute binary file" halfway through:
 *
 * <ul>
 *   <li>the closure was captured for this node's machine type ({@link #requirePlatform});
 *   <li>the node's CPU supports every glibc-hwcaps level the closure's libraries were resolved
 *       from, e.g. a library from {@code glibc-hwcaps/x86-64-v3/} needs AVX2 ({@link
 *       #requireHwcaps}); which levels the CPU supports is asked of the closure's own cached
 *       loader ({@code ld.so --help}), the program that will make the same choice at run time.
 * </ul>
 *
 * Thread-safe (no state).
 */
public final class Guards {
  private static final Pattern HWCAPS_DIR = Pattern.compile("/glibc-hwcaps/([^/]+)/");

  private Guards() {}

  /** A launch refused before it started; the message says why and what to do. */
  public static final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    public RefusedException(String message) {
      super(message);
    }
  }

  /** The GNU triplet of this JVM's machine, in the form manifests record. */
  public static String nodePlatform() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64", "x86_64" -> "x86_64-linux-gnu";
      case "aarch64", "arm64" -> "aarch64-linux-gnu";
      case "x86", "i386", "i686" -> "i386-linux-gnu";
      default -> arch + "-linux-gnu";
    };
  }

  public static void requirePlatform(Manifest manifest, String nodePlatform) throws RefusedException {
    if (!manifest.platform().equals(nodePlatform)) {
      throw new RefusedException("the closure was captured for " + manifest.platform() + " but this node is "
          + nodePlatform + "; publish it from a " + nodePlatform + " host and run that manifest here");
    }
  }

  /** The glibc-hwcaps levels (x86-64-v3, ...) the closure's libraries were found under. */
  public static Set<String> requiredHwcaps(Manifest manifest) {
    Set<String> levels = new TreeSet<>();
    for (LoadedLibrary lib : manifest.libraries()) {
      Matcher m = HWCAPS_DIR.matcher(lib.path());
      while (m.find()) {
        levels.add(m.group(1));
      }
    }
    return levels;
  }

  public static void requireHwcaps(Manifest manifest, Set<String> supported) throws RefusedException {
    List<String> lacking = new ArrayList<>();
    for (String level : requiredHwcaps(manifest)) {
      if (!supported.contains(level)) {
        lacking.add(level);
      }
    }
    if (!lacking.isEmpty()) {
      throw new RefusedException("the closure's libraries were resolved from glibc-hwcaps level(s) "
          + String.join(", ", lacking) + " but this node's CPU supports only "
          + (supported.isEmpty() ? "the baseline" : String.join(", ", supported))
          + "; publish the program from a host with the same CPU level, or from one without it");
    }
  }

  /** The glibc-hwcaps levels {@code loader --help} reports as supported on this CPU. */
  public static Set<String> supportedHwcaps(Path loader) throws IOException {
    return new TreeSet<>(LoaderProfile.supportedHwcaps(LoaderProfile.help(loader)));
  }
}
