package org.closurecache.client.view;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.LoadedLibrary;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Reason;

/**
 * A real node cache in a test directory: every object is stored at {@link CacheLayout#objectPath}
 * with content that hashes to its name, read-only and with {@link #OBJECT_MTIME}, as a pull leaves
 * it. A file recorded with a mode whose presentation is {@code 0444} and that mtime is shown as the
 * object itself; anything else needs a variant.
 */
public final class TestCache {
  /** The mtime every stored object has. */
  public static final long OBJECT_MTIME = 1_600_000_000L;

  public final CacheLayout layout;
  /** The views and variants of {@link #layout}. */
  public final ViewLayout views;

  public TestCache(Path root) {
    this.layout = CacheLayout.at(root);
    this.views = layout.views();
  }

  /** Stores {@code content} as an object (if it is not there yet) and answers its digest. */
  public Digest store(byte[] content) throws IOException {
    Digest d = Digest.of(content);
    Path object = layout.objectPath(d);
    if (!Files.exists(object)) {
      Files.createDirectories(object.getParent());
      Files.write(object, content);
      Files.setPosixFilePermissions(object, PosixFilePermissions.fromString("r--r--r--"));
      Files.setLastModifiedTime(object, FileTime.fromMillis(OBJECT_MTIME * 1000));
    }
    return d;
  }

  /** A file recorded with {@code mode} and {@code mtime} whose object is in the cache. */
  public FileEntry file(String content, int mode, long mtime) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    return FileEntry.of(store(bytes), bytes.length, mode, mtime, Reason.INCLUDED);
  }

  /** A file shown as its cache object itself (no variant needed). */
  public FileEntry file(String content) throws IOException {
    return file(content, 0644, OBJECT_MTIME);
  }

  /** A file whose object is <em>not</em> in the cache. */
  public static FileEntry absent(String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    return FileEntry.of(Digest.of(bytes), bytes.length, 0644, OBJECT_MTIME, Reason.INCLUDED);
  }

  public static Object inode(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  public static int mode(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  public static long mtime(Path p) throws IOException {
    return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() / 1000;
  }

  public static ManifestSpec manifest() {
    return new ManifestSpec();
  }

  /** Builds {@link Manifest} values with the record's own constructor; the entry defaults to the first file. */
  public static final class ManifestSpec {
    private final SortedMap<String, FileEntry> files = new TreeMap<>();
    private final SortedMap<String, String> symlinks = new TreeMap<>();
    private final SortedSet<String> directories = new TreeSet<>();
    private final List<LoadedLibrary> libraries = new ArrayList<>();
    private final SortedMap<String, String> env = new TreeMap<>();
    private String platform = "x86_64-linux-gnu";
    private String entry;
    private Optional<String> interpreter = Optional.empty();
    private List<String> argv;
    private String cwd = "/";

    public ManifestSpec file(String path, FileEntry f) {
      files.put(path, f);
      return this;
    }

    public ManifestSpec symlink(String path, String target) {
      symlinks.put(path, target);
      return this;
    }

    public ManifestSpec directory(String path) {
      directories.add(path);
      return this;
    }

    public ManifestSpec entry(String path) {
      entry = path;
      return this;
    }

    public ManifestSpec interpreter(String path) {
      interpreter = Optional.of(path);
      return this;
    }

    public ManifestSpec library(String name, String path) {
      libraries.add(new LoadedLibrary(name, path));
      return this;
    }

    public ManifestSpec platform(String p) {
      platform = p;
      return this;
    }

    public ManifestSpec argv(String... args) {
      argv = List.of(args);
      return this;
    }

    public ManifestSpec env(String name, String value) {
      env.put(name, value);
      return this;
    }

    public ManifestSpec cwd(String dir) {
      cwd = dir;
      return this;
    }

    public Manifest build() {
      String first = files.firstKey();
      String entryPath = entry == null ? first : entry;
      Launch launch = new Launch(argv == null ? List.of(entryPath) : argv, env, cwd);
      // A first manifest with the plain first file as entry resolves the real entry's path.
      Manifest probe = new Manifest(Manifest.SCHEMA, platform, "test", new EntryPoint(first, files.get(first).digest()),
          Optional.empty(), List.of(), files, symlinks, launch);
      String entryFile = probe.resolve(entryPath).orElse(first);
      return new Manifest(Manifest.SCHEMA, platform, "test", new EntryPoint(entryPath, files.get(entryFile).digest()),
          interpreter, libraries, files, symlinks, directories, launch);
    }
  }
}
