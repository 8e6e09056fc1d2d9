package org.closurecache.core.resolve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one glibc dynamic loader does on this host that ELF files cannot tell: its default
 * directories, the subdirectories it tries under every search directory (glibc-hwcaps levels and
 * legacy hwcaps, in order), the glibc-hwcaps names it prefers in {@code ld.so.cache}, and what
 * {@code $LIB} and {@code $PLATFORM} expand to. Immutable and thread-safe.
 *
 * <p>{@link #probe} asks the host's loader itself (its {@code --help}, and one
 * {@code LD_DEBUG=libs ... --list} of a system library), which never runs the program being
 * resolved and keeps the resolver right on CPUs and glibc versions this code has not seen.
 *
 * @param subdirs prefixes tried under each search directory, best first; the last is {@code ""}
 *     (the directory itself); each non-empty one ends with {@code /}
 */
public record LoaderProfile(
    String interpreter,
    String glibcVersion,
    int machine,
    int cacheFlags,
    List<String> systemDirs,
    List<String> subdirs,
    List<String> hwcapsByPriority,
    String libDst,
    String platformDst) {

  public LoaderProfile {
    systemDirs = List.copyOf(systemDirs);
    subdirs = List.copyOf(subdirs);
    hwcapsByPriority = List.copyOf(hwcapsByPriority);
    if (subdirs.isEmpty() || !subdirs.get(subdirs.size() - 1).isEmpty()) {
      throw new IllegalArgumentException("subdirs must end with \"\" (the directory itself): " + subdirs);
    }
  }

  /** Debian/Ubuntu x86_64 multiarch without hwcaps: used when the loader cannot be asked. */
  public static LoaderProfile debianX86_64Fallback() {
    return new LoaderProfile(
        "/lib64/ld-linux-x86-64.so.2", "unknown", 62, LdSoCache.FLAGS_X86_64_LIBC6,
        List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"),
        List.of(""), List.of(), "lib/x86_64-linux-gnu", "x86_64");
  }

  private static final Pattern SYSTEM_DIR = Pattern.compile("^\\s+(/\\S*) \\(system search path\\)$");
  private static final Pattern HWCAPS_SUPPORTED = Pattern.compile("^\\s+(\\S+) \\(supported, searched\\)$");
  private static final Pattern VERSION = Pattern.compile("version (\\d+\\.\\d+)");
  private static final String PROBE_DIR = "/closure-cache-probe";

  /**
   * Interrogates the loader at {@code interpreter}, using {@code sampleLibrary} (any shared object
   * with a DT_NEEDED, e.g. {@code libm.so.6}) to make it print one expanded search path.
   */
  public static LoaderProfile probe(Path interpreter, Path sampleLibrary, int machine, int cacheFlags)
      throws IOException {
    String help = help(interpreter);
    String version = run(List.of(interpreter.toString(), "--version"), List.of());
    List<String> systemDirs = new ArrayList<>();
    for (String line : help.split("\n")) {
      Matcher m = SYSTEM_DIR.matcher(line);
      if (m.matches()) {
        systemDirs.add(stripSlash(m.group(1)));
      }
    }
    List<String> hwcaps = supportedHwcaps(help);
    if (systemDirs.isEmpty()) {
      throw new IOException(interpreter + " --help did not list its system search path; cannot emulate it");
    }
    // One LD_LIBRARY_PATH entry made of the DSTs shows what they expand to and every subdirectory
    // the loader tries under a directory, in its order.
    String debug = run(
        List.of(interpreter.toString(), "--list", sampleLibrary.toString()),
        List.of("LD_DEBUG=libs", "LD_LIBRARY_PATH=" + PROBE_DIR + "/$LIB/@/$PLATFORM"));
    String searchPath = null;
    for (String line : debug.split("\n")) {
      int at = line.indexOf("search path=" + PROBE_DIR);
      if (at >= 0 && line.contains("(LD_LIBRARY_PATH)")) {
        searchPath = line.substring(at + "search path=".length(), line.indexOf("\t", at)).trim();
        break;
      }
    }
    if (searchPath == null) {
      throw new IOException("LD_DEBUG=libs " + interpreter + " --list " + sampleLibrary
          + " printed no LD_LIBRARY_PATH search path; cannot learn the loader's subdirectories");
    }
    String[] dirs = searchPath.split(":");
    String base = dirs[dirs.length - 1];
    int at = base.indexOf("/@/");
    String libDst = base.substring(PROBE_DIR.length() + 1, at);
    String platformDst = base.substring(at + 3);
    List<String> subdirs = new ArrayList<>();
    for (String d : dirs) {
      if (!d.startsWith(base)) {
        throw new IOException("unexpected search path element " + d + " from " + interpreter);
      }
      String sub = d.substring(base.length());
      subdirs.add(sub.isEmpty() ? "" : sub.substring(1) + "/");
    }
    Matcher v = VERSION.matcher(version);
    return new LoaderProfile(interpreter.toString(), v.find() ? v.group(1) : "unknown", machine, cacheFlags,
        systemDirs, subdirs, hwcaps, libDst, platformDst);
  }

  /** What {@code interpreter --help} prints (glibc 2.33 and later describe their search there). */
  public static String help(Path interpreter) throws IOException {
    return run(List.of(interpreter.toString(), "--help"), List.of());
  }

  /**
   * The glibc-hwcaps subdirectories a loader's {@code --help} output calls "supported, searched",
   * in its priority order: the levels this CPU runs.
   */
  public static List<String> supportedHwcaps(String help) {
    List<String> hwcaps = new ArrayList<>();
    boolean inHwcaps = false;
    for (String line : help.split("\n")) {
      if (line.startsWith("Subdirectories of glibc-hwcaps")) {
        inHwcaps = true;
      } else if (!line.startsWith(" ")) {
        inHwcaps = false;
      } else if (inHwcaps) {
        Matcher h = HWCAPS_SUPPORTED.matcher(line);
        if (h.matches()) {
          hwcaps.add(h.group(1));
        }
      }
    }
    return hwcaps;
  }

  /** One line for the manifest: which loader this resolution emulated. */
  public String describe() {
    return "glibc-" + glibcVersion + " hwcaps=" + (hwcapsByPriority.isEmpty() ? "none" : String.join(",", hwcapsByPriority));
  }

  private static String stripSlash(String dir) {
    return dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
  }

  private static String run(List<String> command, List<String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("LD_LIBRARY_PATH");
    pb.environment().remove("LD_PRELOAD");
    for (String kv : env) {
      int eq = kv.indexOf('=');
      pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    Process p = pb.start();
    p.getOutputStream().close();
    try (InputStream in = p.getInputStream()) {
      byte[] out = in.readNBytes(1 << 20);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
  }
}
