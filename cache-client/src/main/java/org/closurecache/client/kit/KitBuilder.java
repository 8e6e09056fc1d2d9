package org.closurecache.client.kit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.closurecache.core.capture.ClosureCapture;
import org.closurecache.core.capture.EnvFilter;
import org.closurecache.core.capture.StraceRecorder;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.elf.ElfReader;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.LoadedLibrary;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.resolve.HostResolver;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.core.sign.PublicKey;

/**
 * Builds the node kit: everything a node with nothing but busybox needs to pull, verify, cache and
 * launch, as one ordinary closure. The kit's files, at their paths in the manifest:
 *
 * <pre>
 *   /opt/closure-cache/bin/         the launch scripts (cache-client, exec-shim, exec-view, launcher.sh, packages.sh)
 *   /opt/closure-cache/lib/         exec-shim.jar (cache-client.jar links to it: it holds both commands),
 *                                   native/librocksdbjni-linux64.so
 *   /opt/closure-cache/runtime/     a Java runtime made with jlink holding only {@link #MODULES}
 *   /opt/closure-cache/node/enter   POSIX sh: runs a node command through the kit's own loader
 *   /opt/closure-cache/node/bin/    POSIX sh: bash, bwrap and java through the kit's own loader
 *   /opt/closure-cache/etc/kit.env  the kit's loader and library directories (sh variables)
 *   /opt/closure-cache/etc/trust/   the public keys whose signatures the node accepts afterwards
 *   /usr/bin/bash, /usr/bin/bwrap   this host's, with the ELF closure of every program and library
 *                                   above (glibc, its loader, libstdc++ for RocksDB, ...)
 * </pre>
 *
 * <p>A node may have no {@code /lib64/ld-linux-x86-64.so.2}: the kit's programs are started
 * through the kit's own loader with the kit's library directories ({@code kit.env}), which is why
 * {@code node/} exists. The manifest holds no JSON escape (no backslash): the bootstrap parses it
 * with busybox tools, and a kit that would need one is refused here. Its entry is the kit's bash
 * running {@code cache-client --version}, so a full node can also run it with {@code exec-shim}.
 * Not thread-safe; one build per instance.
 */
public final class KitBuilder {
  /** Where the kit's own files live in the manifest (and so in the kit's root on a node). */
  public static final String HOME = "/opt/closure-cache";
  /** The runtime's modules: what the node commands use (checked with jdeps; the rest is optional to them). */
  public static final List<String> MODULES =
      List.of("java.base", "java.logging", "java.net.http", "jdk.crypto.ec", "jdk.unsupported");
  /** The scripts copied from the launch-script folder. */
  static final List<String> SCRIPTS = List.of("cache-client", "exec-shim", "exec-view", "launcher.sh", "packages.sh");
  private static final String NATIVE_LIBRARY = "librocksdbjni-linux64.so";
  private static final long JLINK_TIMEOUT_MINUTES = 10;

  /** Where the pieces come from on this host. */
  public record Sources(Path bin, Path node, Path shimJar, Path nativeLibrary, Path jdk, Path bash, Path bwrap) {
    /**
     * Finds the pieces next to the launch scripts in {@code bin}: an installed tree ({@code bin/},
     * {@code lib/}, {@code node/} side by side) or a source checkout after {@code mvn package}.
     */
    public static Sources locate(Path bin, Path jdk) throws IOException {
      Path home = bin.getParent();
      Path node = home.resolve("node");
      Path shim = jar(home, "exec-shim");
      Path nativeLib = shim.resolveSibling("native").resolve(NATIVE_LIBRARY);
      requireFile(nativeLib, "RocksDB's native library (unpacked beside exec-shim.jar by the build)");
      requireFile(node.resolve("enter"), "the kit's enter script");
      for (String s : SCRIPTS) {
        requireFile(bin.resolve(s), "the launch script " + s);
      }
      return new Sources(bin, node, shim, nativeLib, jdk, program("bash", "bash"), program("bwrap", "bubblewrap"));
    }

    private static Path jar(Path home, String name) throws IOException {
      for (Path p : List.of(home.resolve("lib").resolve(name + ".jar"),
          home.getParent().resolve(name).resolve("target").resolve(name + ".jar"))) {
        if (Files.isRegularFile(p)) {
          return p.toRealPath();
        }
      }
      throw new IOException("cannot find " + name + ".jar in " + home.resolve("lib") + " or " + home.getParent()
          .resolve(name).resolve("target") + "; build it first with: mvn -B package -DskipTests");
    }

    private static Path program(String name, String debianPackage) throws IOException {
      for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p.toRealPath();
        }
      }
      throw new IOException("the kit carries this host's " + name + ", and there is none in /usr/bin, /bin or "
          + "/usr/local/bin (apt-get install -y " + debianPackage + ")");
    }

    private static void requireFile(Path p, String what) throws IOException {
      if (!Files.isRegularFile(p)) {
        throw new IOException("cannot find " + what + " at " + p);
      }
    }
  }

  /**
   * A built kit: its manifest and, for each of its own files (under {@link #HOME}), the staged
   * file holding the bytes; every other path is this host's file at that path.
   */
  public record Kit(Manifest manifest, Map<String, Path> staged, Stats stats) {
    /** The local file with the bytes of the manifest path {@code path}. */
    public Path source(String path) {
      Path p = staged.get(path);
      return p != null ? p : Path.of(path);
    }
  }

  /**
   * Sizes of a kit.
   *
   * @param bytes the distinct objects' bytes: what a cold bootstrap transfers
   * @param runtimeBytes the jlinked runtime's share of {@code bytes}
   */
  public record Stats(int files, int objects, long bytes, long runtimeBytes, String javaVersion) {}

  private final Sources sources;
  private final List<PublicKey> trust;

  public KitBuilder(Sources sources, List<PublicKey> trust) {
    if (trust.isEmpty()) {
      throw new IllegalArgumentException("a kit must carry at least one public key for the node to trust");
    }
    this.sources = sources;
    this.trust = List.copyOf(trust);
  }

  /** Stages the kit's own files under {@code stage} (an empty directory kept until the kit is published) and captures the closure. */
  public Kit build(Path stage) throws IOException {
    Path root = stage.toRealPath();
    Path home = root.resolve(HOME.substring(1));
    Path runtime = home.resolve("runtime");
    String javaVersion = jlink(runtime);
    Path bin = Files.createDirectories(home.resolve("bin"));
    for (String s : SCRIPTS) {
      copy(sources.bin().resolve(s), bin.resolve(s));
    }
    Path lib = Files.createDirectories(home.resolve("lib"));
    // exec-shim.jar holds every class cache-client.jar does (the shim depends on the client): one
    // jar for both commands, 12 MB less to carry; the launcher names each command's main class.
    withoutNativeLibraries(sources.shimJar(), lib.resolve("exec-shim.jar"));
    Files.createSymbolicLink(lib.resolve("cache-client.jar"), Path.of("exec-shim.jar"));
    copy(sources.nativeLibrary(), Files.createDirectories(lib.resolve("native")).resolve(NATIVE_LIBRARY));
    Path node = Files.createDirectories(home.resolve("node"));
    copy(sources.node().resolve("enter"), node.resolve("enter"));
    Path nodeBin = Files.createDirectories(node.resolve("bin"));
    for (Map.Entry<String, String> w : wrapped().entrySet()) {
      write(nodeBin.resolve(w.getKey()), wrapper(w.getKey(), w.getValue()), "rwxr-xr-x");
    }
    Path trustDir = Files.createDirectories(home.resolve("etc").resolve("trust"));
    for (PublicKey k : trust) {
      KeyFiles.writePublicKey(trustDir.resolve(k.keyId() + KeyFiles.PUBLIC_SUFFIX), k, true);
    }
    Manifest captured = capture(root, home);
    Manifest withEnv = addFile(captured, HOME + "/etc/kit.env",
        write(home.resolve("etc").resolve("kit.env"), kitEnv(captured, sources.bash().toString(), javaVersion),
            "rw-r--r--"));
    Map<String, Path> staged = new TreeMap<>();
    for (String path : withEnv.files().keySet()) {
      if (path.startsWith(HOME + "/")) {
        staged.put(path, root.resolve(path.substring(1)));
      }
    }
    requirePlainJson(withEnv);
    return new Kit(withEnv, staged, stats(withEnv, javaVersion));
  }

  private String jlink(Path output) throws IOException {
    Path jlink = sources.jdk().resolve("bin").resolve("jlink");
    if (!Files.isExecutable(jlink)) {
      throw new IOException("the JDK at " + sources.jdk() + " has no bin/jlink; give --jdk a full JDK 17 or newer"
          + " (Debian: openjdk-17-jdk-headless)");
    }
    List<String> cmd = new ArrayList<>(List.of(jlink.toString()));
    Path jmods = sources.jdk().resolve("jmods");
    if (Files.isDirectory(jmods)) {
      cmd.addAll(List.of("--module-path", jmods.toString()));
    }
    // --compress=2: the class bytes zipped (21 -> 11 MB); the class archive made on first use
    // maps the classes a command loads, so start-up does not pay for the inflating.
    cmd.addAll(List.of("--add-modules", String.join(",", MODULES), "--strip-debug", "--no-man-pages",
        "--no-header-files", "--compress=2", "--output", output.toString()));
    String out = run(cmd, "jlink");
    if (!Files.isExecutable(output.resolve("bin").resolve("java"))) {
      throw new IOException("jlink made no runtime at " + output + ": " + out.strip());
    }
    return releaseVersion(output.resolve("release"));
  }

  private static String run(List<String> cmd, String what) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    try {
      if (!p.waitFor(JLINK_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(what + " did not finish within " + JLINK_TIMEOUT_MINUTES + " minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running " + what);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(what + " failed (exit " + p.exitValue() + "): " + text.strip()
          + (text.contains("jmods") || text.contains("java.base") ? " (the JDK needs its jmods/: openjdk-17-jdk-headless)" : ""));
    }
    return text;
  }

  private static String releaseVersion(Path release) throws IOException {
    for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
      if (line.startsWith("JAVA_VERSION=")) {
        return line.substring("JAVA_VERSION=".length()).replace("\"", "");
      }
    }
    return "unknown";
  }

  /** The ELF closure of bash, bwrap and every ELF object staged, the staged paths turned into kit paths. */
  private Manifest capture(Path root, Path home) throws IOException {
    String bash = sources.bash().toString();
    String interpreter = ElfReader.read(sources.bash()).interpreter().orElse(HostResolver.X86_64_INTERPRETER);
    HostResolver.Built built = HostResolver.forInterpreter(interpreter);
    SortedMap<String, String> env = new TreeMap<>(Map.of("LANG", "C.UTF-8", "PATH", HOME + "/bin:/usr/bin:/bin"));
    ClosureCapture.Options options = new ClosureCapture.Options(List.of(home.toString(), sources.bwrap().toString()),
        false, ClosureCapture.DEFAULT_TRACE_EXCLUDE, EnvFilter.defaults());
    Path scratch = Files.createTempDirectory("closure-cache-kit-");
    ClosureCapture.Capture c;
    try {
      c = new ClosureCapture(built.resolver(), new StraceRecorder("strace", 1, ProcessBuilder.Redirect.INHERIT), scratch)
          .capture(bash, List.of(bash, HOME + "/bin/cache-client", "--version"), env, "/", options);
    } finally {
      Files.deleteIfExists(scratch);
    }
    return relocate(c.manifest(), root.toString());
  }

  /** The manifest with every path under {@code stage} moved to where it is in the kit's root. */
  static Manifest relocate(Manifest m, String stage) {
    SortedMap<String, FileEntry> files = new TreeMap<>();
    m.files().forEach((p, f) -> files.put(moved(p, stage),
        new FileEntry(f.digest(), f.size(), f.mode(), f.mtime(), f.reason(), f.by().map(b -> moved(b, stage)))));
    SortedMap<String, String> links = new TreeMap<>();
    m.symlinks().forEach((p, t) -> links.put(moved(p, stage), moved(t, stage)));
    SortedSet<String> dirs = new TreeSet<>();
    for (String d : m.directories()) {
      // the stage's own parents (above the kit's root) are no part of the kit
      if (d.startsWith(stage + "/")) {
        dirs.add(moved(d, stage));
      } else if (!stage.startsWith(d + "/") && !stage.equals(d)) {
        dirs.add(d);
      }
    }
    List<LoadedLibrary> libs = m.libraries().stream().map(l -> new LoadedLibrary(l.name(), moved(l.path(), stage))).toList();
    return new Manifest(m.schema(), m.platform(), m.resolver(), new EntryPoint(moved(m.entry().path(), stage), m.entry().digest()),
        m.interpreter(), libs, files, links, dirs, m.launch());
  }

  private static String moved(String path, String stage) {
    return path.startsWith(stage + "/") ? path.substring(stage.length()) : path;
  }

  private static Manifest addFile(Manifest m, String path, FileEntry entry) {
    SortedMap<String, FileEntry> files = new TreeMap<>(m.files());
    files.put(path, entry);
    return new Manifest(m.schema(), m.platform(), m.resolver(), m.entry(), m.interpreter(), m.libraries(), files,
        m.symlinks(), m.directories(), m.launch());
  }

  /**
   * kit.env: the loader, the directories the kit's libraries are in (where the host's loader found
   * them, in first-found order; the runtime's own are found through its RUNPATH), the programs.
   */
  static String kitEnv(Manifest m, String bash, String javaVersion) {
    String loader = m.interpreter().flatMap(m::resolve)
        .orElseThrow(() -> new IllegalStateException("the kit has no loader: bash is not a dynamic program?"));
    Set<String> dirs = new LinkedHashSet<>();
    m.files().forEach((p, f) -> {
      if (!p.startsWith(HOME + "/") && (f.reason() == Reason.NEEDED_BY || f.reason() == Reason.INTERPRETER)) {
        dirs.add(p.substring(0, p.lastIndexOf('/')));
      }
    });
    return "# The node kit's facts, for its POSIX sh scripts (node/enter); paths are inside the kit's root.\n"
        + "CC_KIT_INTERPRETER=" + loader + "\n"
        + "CC_KIT_LIBRARY_DIRS=" + String.join(":", dirs) + "\n"
        + "CC_KIT_BASH=" + bash + "\n"
        + "CC_KIT_JAVA_VERSION=" + javaVersion + "\n"
        + "CC_KIT_MODULES=" + String.join(",", MODULES) + "\n";
  }

  static void requirePlainJson(Manifest m) {
    byte[] bytes = ManifestCodec.toCanonicalBytes(m);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\\') {
        int from = Math.max(0, i - 60);
        throw new IllegalStateException("the kit manifest needs a JSON escape near \""
            + new String(bytes, from, Math.min(bytes.length, i + 20) - from, StandardCharsets.UTF_8)
            + "\"; the bootstrap reads plain paths only: rename that file or leave it out");
      }
    }
  }

  private static Stats stats(Manifest m, String javaVersion) {
    Map<Digest, Long> objects = new LinkedHashMap<>();
    Map<Digest, Long> runtime = new LinkedHashMap<>();
    m.files().forEach((p, f) -> {
      objects.put(f.digest(), f.size());
      if (p.startsWith(HOME + "/runtime/")) {
        runtime.put(f.digest(), f.size());
      }
    });
    return new Stats(m.files().size(), objects.size(), sum(objects), sum(runtime), javaVersion);
  }

  private static long sum(Map<Digest, Long> sizes) {
    return sizes.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The programs given a loader wrapper in {@code node/bin}, by where they are in the kit. */
  private Map<String, String> wrapped() {
    Map<String, String> w = new LinkedHashMap<>();
    w.put("bash", sources.bash().toString());
    w.put("bwrap", sources.bwrap().toString());
    w.put("java", HOME + "/runtime/bin/java");
    return w;
  }

  /** node/bin/NAME: runs the kit's program through the kit's loader; enter sets the variables. */
  static String wrapper(String name, String target) {
    return "#!/bin/sh\n"
        + "# " + name + " from the node kit, started by the kit's own loader: a node may have no system one.\n"
        + "# node/enter exports the variables (CLOSURE_CACHE_KIT is the kit's root).\n"
        + "exec \"$CC_KIT_LOADER\" --library-path \"$CC_KIT_LIBRARY_PATH\" \"$CLOSURE_CACHE_KIT" + target + "\" \"$@\"\n";
  }

  /**
   * Copies a jar leaving out the native libraries RocksDB's jar carries for every platform (30 of
   * its 24 MB, twice): the kit has this platform's in lib/native, which the launcher names. The
   * copy is the same bytes for the same jar (entry order and times kept), so an unchanged jar is
   * an unchanged object and a new kit does not move it again.
   */
  static void withoutNativeLibraries(Path jar, Path to) throws IOException {
    try (ZipFile in = new ZipFile(jar.toFile());
        ZipOutputStream out = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(to)))) {
      for (Enumeration<? extends ZipEntry> entries = in.entries(); entries.hasMoreElements(); ) {
        ZipEntry e = entries.nextElement();
        String name = e.getName();
        if (name.matches("(.*/)?librocksdbjni-[^/]*\\.(so|jnilib|dll)")) {
          continue;
        }
        ZipEntry copy = new ZipEntry(name);
        copy.setTime(e.getTime());
        out.putNextEntry(copy);
        try (InputStream body = in.getInputStream(e)) {
          body.transferTo(out);
        }
        out.closeEntry();
      }
    }
    Files.setLastModifiedTime(to, Files.getLastModifiedTime(jar));
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
  }

  private static FileEntry write(Path file, String text, String mode) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Files.write(file, bytes);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return FileEntry.of(Digest.of(bytes), bytes.length, Integer.parseInt(octal(mode), 8),
        Files.getLastModifiedTime(file).toMillis() / 1000, Reason.INCLUDED);
  }

  private static String octal(String rwx) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 9; i += 3) {
      int v = (rwx.charAt(i) == 'r' ? 4 : 0) + (rwx.charAt(i + 1) == 'w' ? 2 : 0) + (rwx.charAt(i + 2) == 'x' ? 1 : 0);
      sb.append(v);
    }
    return sb.toString();
  }

}
