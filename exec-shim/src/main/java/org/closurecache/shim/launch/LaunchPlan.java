package org.closurecache.shim.launch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.closurecache.client.view.ViewBuilder;
import org.closurecache.client.view.ViewLayout;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.LoadedLibrary;
import org.closurecache.core.manifest.Manifest;

/**
 * The launch plan written next to a view ({@code views/<hex>/plan/}), so that a launcher with no
 * JVM, no network and no index ({@code deploy/bin/exec-view}) can start the job. Every list is a
 * file of NUL-terminated strings (what {@code bwrap --args FD} and bash's {@code mapfile -d ''}
 * read); single values are one line.
 *
 * <pre>
 * format          "1"
 * manifest        sha256:&lt;hex&gt;
 * cache           the cache root (where running/ lives)
 * argv            the recorded argument vector, argv[0] first
 * env             the recorded environment, NAME=VALUE each
 * cwd             the recorded working directory
 * exec            the path namespace mode executes: argv[0] when it leads to the entry (an absolute
 *                 path, a bare name the job's PATH lookup finds, or a relative path such as
 *                 ./job.py from the recorded working directory), else the entry path
 * entry           the entry path: what the launcher executes instead of a relative exec when the
 *                 job runs in another directory than the recorded one
 * isolated.args   bwrap options: the view's top-level entries on a fresh root, /proc, /dev, a
 *                 private /tmp with the view's own /tmp entries bound onto it, then --clearenv
 *                 and --setenv for the recorded environment
 * host.args       bwrap options: the node's root with the view's top-level directories laid
 *                 over it (node-owned directories such as /etc, /home, /tmp stay the node's),
 *                 then the same environment options
 * loader.args     the cached ld.so and its options: --inhibit-cache --library-path DIRS
 * loader.exe      the entry's file inside the view (what ld.so runs), "" for a #! script
 * pwd             "drop" when the recorded environment has no PWD (bwrap sets one: the helper
 *                 removes it), else "keep"
 * exec-helper     a 576-byte static x86_64 program, mode 0755, that the launcher runs between
 *                 bwrap and the job (through /proc/self/fd/N) when the job's argv[0] is not the
 *                 path executed or PWD must go: {@code exec-helper FD DROP_PWD PATH ARGV0 ARGS...}
 *                 closes FD, drops PWD=... when DROP_PWD is 1, and execve(PATH, [ARGV0, ARGS...]).
 *                 Its source, exec-helper.S, lies beside it in this package
 * </pre>
 *
 * Paths in the plan are absolute and name the view at its final place. Thread-safe (no state).
 */
public final class LaunchPlan {
  /** Version of the files above; the launcher refuses a plan it does not know. */
  public static final String FORMAT = "1";
  /** Top-level directories a host-root launch leaves to the node (their recorded files are bound one by one). */
  static final Set<String> NODE_OWNED = Set.of("etc", "home", "root", "run", "tmp", "var", "proc", "dev",
      "sys", "mnt", "media", "srv", "boot", "lost+found");

  private LaunchPlan() {}

  /**
   * Writes the plan of {@code manifest} into {@code planDir}.
   *
   * @param buildRoot the view tree as it is being built (to list its top level)
   * @param finalRoot where that tree will be once the view is published
   */
  public static void write(Digest manifestDigest, Manifest manifest, Path cacheRoot, Path buildRoot,
      Path finalRoot, Path planDir) throws IOException {
    line(planDir.resolve("format"), FORMAT);
    line(planDir.resolve("manifest"), manifestDigest.toString());
    line(planDir.resolve("cache"), cacheRoot.toString());
    line(planDir.resolve("cwd"), manifest.launch().cwd());
    line(planDir.resolve("exec"), execPath(manifest));
    line(planDir.resolve("entry"), manifest.entry().path());
    strings(planDir.resolve("argv"), manifest.launch().argv());
    List<String> env = new ArrayList<>();
    List<String> envOptions = new ArrayList<>();
    envOptions.add("--clearenv");
    for (Map.Entry<String, String> e : manifest.launch().env().entrySet()) {
      env.add(e.getKey() + "=" + e.getValue());
      envOptions.add("--setenv");
      envOptions.add(e.getKey());
      envOptions.add(e.getValue());
    }
    strings(planDir.resolve("env"), env);
    List<String> isolated = isolatedBinds(buildRoot, finalRoot);
    isolated.addAll(envOptions);
    strings(planDir.resolve("isolated.args"), isolated);
    List<String> host = hostBinds(manifest, buildRoot, finalRoot);
    host.addAll(envOptions);
    strings(planDir.resolve("host.args"), host);
    strings(planDir.resolve("loader.args"), loaderArgs(manifest, finalRoot));
    line(planDir.resolve("loader.exe"), loaderExe(manifest, buildRoot, finalRoot));
    line(planDir.resolve("pwd"), manifest.launch().env().containsKey("PWD") ? "keep" : "drop");
    writeHelper(planDir.resolve("exec-helper"));
  }

  /** The exec helper's bytes, from this package's resources. */
  static byte[] helper() throws IOException {
    try (InputStream in = LaunchPlan.class.getResourceAsStream("exec-helper")) {
      if (in == null) {
        throw new IllegalStateException("exec-helper is missing from the exec-shim jar");
      }
      return in.readAllBytes();
    }
  }

  private static void writeHelper(Path file) throws IOException {
    Files.write(file, helper());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** Every top-level entry of the view on bwrap's fresh root: one bind per directory, never per file. */
  static List<String> isolatedBinds(Path buildRoot, Path finalRoot) throws IOException {
    List<String> out = new ArrayList<>();
    for (String name : topLevel(buildRoot)) {
      Path built = buildRoot.resolve(name);
      if (ViewBuilder.MOUNT_POINTS.contains("/" + name)) {
        continue;
      }
      if (Files.isSymbolicLink(built)) {
        out.addAll(List.of("--symlink", Files.readSymbolicLink(built).toString(), "/" + name));
      } else {
        out.addAll(List.of("--ro-bind", finalRoot.resolve(name).toString(), "/" + name));
      }
    }
    out.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
    // The private /tmp hides the view's own /tmp: closure files there (a script published from
    // /tmp/work, say) are bound back onto it, one bind per entry.
    Path tmp = buildRoot.resolve("tmp");
    if (Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
      for (String name : topLevel(tmp)) {
        Path built = tmp.resolve(name);
        if (Files.isSymbolicLink(built)) {
          out.addAll(List.of("--symlink", Files.readSymbolicLink(built).toString(), "/tmp/" + name));
        } else {
          out.addAll(List.of("--ro-bind", finalRoot.resolve("tmp").resolve(name).toString(), "/tmp/" + name));
        }
      }
    }
    return out;
  }

  /**
   * The node's root, then each top-level view directory over the node's, except directories the
   * node owns: there only files the node already has at the same path are covered by the view's
   * (binding onto a missing path would create it on the node's own filesystem).
   */
  static List<String> hostBinds(Manifest manifest, Path buildRoot, Path finalRoot) throws IOException {
    List<String> out = new ArrayList<>(List.of("--dev-bind", "/", "/"));
    for (String name : topLevel(buildRoot)) {
      Path built = buildRoot.resolve(name);
      if (NODE_OWNED.contains(name) || Files.isSymbolicLink(built)) {
        continue;  // a top-level symlink (lib -> usr/lib) is the same on the node or is the node's business
      }
      out.addAll(List.of("--ro-bind", finalRoot.resolve(name).toString(), "/" + name));
    }
    for (String path : manifest.files().keySet()) {
      String top = path.substring(1, path.indexOf('/', 1) < 0 ? path.length() : path.indexOf('/', 1));
      if (NODE_OWNED.contains(top) && Files.isRegularFile(Path.of(path), LinkOption.NOFOLLOW_LINKS)) {
        out.addAll(List.of("--ro-bind-try", ViewLayout.inside(finalRoot, path).toString(), path));
      }
    }
    return out;
  }

  private static Set<String> topLevel(Path buildRoot) throws IOException {
    Set<String> names = new TreeSet<>();
    try (var entries = Files.list(buildRoot)) {
      entries.forEach(p -> names.add(p.getFileName().toString()));
    }
    return names;
  }

  /**
   * What bwrap should execute so the job sees the recorded {@code argv[0]}: bwrap has no way to
   * set argv[0] apart from the path it runs, so argv[0] is used when it leads to the entry (an
   * absolute path, a bare name the recorded PATH finds, or a path relative to the recorded working
   * directory, which bwrap's execvp resolves against the job's directory), else the entry's path.
   */
  static String execPath(Manifest manifest) {
    String argv0 = manifest.launch().argv().get(0);
    Optional<String> entry = manifest.resolve(manifest.entry().path());
    if (argv0.startsWith("/")) {
      return manifest.resolve(argv0).equals(entry) ? argv0 : manifest.entry().path();
    }
    if (argv0.isEmpty()) {
      return manifest.entry().path();
    }
    if (argv0.contains("/")) {
      // the recorded directory may be a recorded symlink's target or hold one: walk it as the kernel does
      return manifest.resolve(manifest.launch().cwd() + "/" + argv0).equals(entry) ? argv0 : manifest.entry().path();
    }
    // bwrap finds a bare name with execvp(3) after --clearenv; without PATH glibc searches _CS_PATH.
    String path = manifest.launch().env().getOrDefault("PATH", "/bin:/usr/bin");
    for (String dir : path.split(":", -1)) {
      if (!dir.startsWith("/")) {
        continue;
      }
      Optional<String> found = manifest.resolve(dir + "/" + argv0);
      if (found.isPresent()) {
        return found.equals(entry) ? argv0 : manifest.entry().path();
      }
    }
    return manifest.entry().path();
  }

  /** The cached loader, run as a program, told to look only in the view's library directories. */
  static List<String> loaderArgs(Manifest manifest, Path finalRoot) {
    if (manifest.interpreter().isEmpty()) {
      return List.of();  // a static program: loader mode runs it directly
    }
    String loader = manifest.resolve(manifest.interpreter().get()).orElseThrow();
    Set<String> dirs = new LinkedHashSet<>();
    for (LoadedLibrary lib : manifest.libraries()) {
      String real = manifest.resolve(lib.path()).orElseThrow();
      if (real.equals(loader)) {
        continue;
      }
      // The directory the loader found the name in, with recorded symlinks followed inside the
      // view: an absolute link (/lib -> /usr/lib) would otherwise lead to the node's own files.
      String dir = lib.path().substring(0, Math.max(1, lib.path().lastIndexOf('/')));
      dirs.add(ViewLayout.inside(finalRoot, manifest.resolvePath(dir).orElse(dir)).toString());
    }
    return List.of(ViewLayout.inside(finalRoot, loader).toString(), "--inhibit-cache",
        "--library-path", String.join(":", dirs));
  }

  private static String loaderExe(Manifest manifest, Path buildRoot, Path finalRoot) throws IOException {
    String entry = manifest.resolve(manifest.entry().path()).orElseThrow();
    if (org.closurecache.core.capture.Shebang.interpreter(ViewLayout.inside(buildRoot, entry)).isPresent()) {
      return "";
    }
    return ViewLayout.inside(finalRoot, entry).toString();
  }

  private static void line(Path file, String value) throws IOException {
    if (value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(
          "cannot write a launch plan: " + file.getFileName() + " would hold a newline: " + value.replace("\n", "\\n"));
    }
    Files.writeString(file, value + "\n", StandardCharsets.UTF_8);
  }

  private static void strings(Path file, List<String> values) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String v : values) {
      out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
      out.write(0);
    }
    Files.write(file, out.toByteArray());
  }
}
