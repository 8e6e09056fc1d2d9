package org.closurecache.client.view;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingInputStream;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;

/**
 * Checks a built view against its manifest before a launch. The quick check ({@link #check}) is
 * a few {@code lstat}s per file: every file is a regular file that is the very inode of its cache
 * object (or of that object's variant) with the recorded size, permission bits and mtime, every
 * symlink has its recorded target, every recorded directory is a directory, and the tree holds
 * nothing else (no added file, no directory swapped for a symlink); so a view whose files were replaced, added to, or unlinked fails before
 * the job starts. {@link #checkContent} also re-hashes each distinct
 * inode (what {@code exec-shim verify --content} runs). Thread-safe (no state besides the layout).
 */
public final class ViewVerifier {
  /** What one {@code lstat} of a view file tells: all the quick check needs. */
  private static final String ATTRIBUTES = "unix:isRegularFile,size,mode,lastModifiedTime,fileKey";
  /** At most this many problems are listed; the rest are counted. */
  private static final int MAX_LISTED = 10;

  private final ViewLayout layout;

  public ViewVerifier(ViewLayout layout) {
    this.layout = layout;
  }

  /** What is wrong with a view, empty when nothing is. */
  public record Report(List<String> problems, int more) {
    public boolean ok() {
      return problems.isEmpty();
    }

    @Override
    public String toString() {
      return String.join("; ", problems) + (more > 0 ? "; and " + more + " more" : "");
    }
  }

  public Report check(Path viewDir, Manifest manifest) throws IOException {
    return run(viewDir, manifest, false);
  }

  public Report checkContent(Path viewDir, Manifest manifest) throws IOException {
    return run(viewDir, manifest, true);
  }

  private Report run(Path viewDir, Manifest manifest, boolean content) throws IOException {
    Path root = ViewLayout.rootOf(viewDir);
    List<String> problems = new ArrayList<>();
    int[] more = {0};
    Set<Object> hashed = new HashSet<>();
    Map<Digest, Object> objectKeys = new HashMap<>();
    for (Map.Entry<String, FileEntry> e : manifest.files().entrySet()) {
      String problem = checkFile(root, e.getKey(), e.getValue(), content, hashed, objectKeys);
      add(problems, more, problem);
    }
    for (Map.Entry<String, String> link : manifest.symlinks().entrySet()) {
      Path at = ViewLayout.inside(root, link.getKey());
      String problem = null;
      if (!Files.isSymbolicLink(at)) {
        problem = link.getKey() + " is not a symlink";
      } else if (!Files.readSymbolicLink(at).toString().equals(link.getValue())) {
        problem = link.getKey() + " points to " + Files.readSymbolicLink(at) + ", not " + link.getValue();
      }
      add(problems, more, problem);
    }
    for (String directory : manifest.directories()) {
      add(problems, more, checkDirectory(root, directory));
    }
    for (String problem : unexpected(root, manifest)) {
      add(problems, more, problem);
    }
    return new Report(List.copyOf(problems), more[0]);
  }

  /**
   * Entries the manifest does not name: an added file, or a directory swapped for a symlink
   * (the per-path checks above would look through such a symlink, since only the last
   * component of a path is not followed).
   */
  private static List<String> unexpected(Path root, Manifest manifest) throws IOException {
    Set<String> dirs = new HashSet<>(ViewBuilder.MOUNT_POINTS);
    for (String key : manifest.files().keySet()) {
      ancestors(key, dirs);
    }
    for (String key : manifest.symlinks().keySet()) {
      ancestors(key, dirs);
    }
    for (String dir : manifest.directories()) {
      dirs.add(dir);
      ancestors(dir, dirs);
    }
    ViewBuilder.workingDirectory(manifest).ifPresent(cwd -> {
      dirs.add(cwd);
      ancestors(cwd, dirs);
    });
    List<String> out = new ArrayList<>();
    Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
        String path = "/" + root.relativize(dir);
        if (named(path)) {
          return java.nio.file.FileVisitResult.SKIP_SUBTREE;  // a key: its own check reports it
        }
        if (!dir.equals(root) && !dirs.contains(path)) {
          out.add(path + " is a directory the manifest does not name");
          return java.nio.file.FileVisitResult.SKIP_SUBTREE;
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      private boolean named(String path) {
        return manifest.files().containsKey(path) || manifest.symlinks().containsKey(path);
      }

      @Override
      public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes a) {
        String path = "/" + root.relativize(file);
        // a recorded directory swapped for a file or symlink: its own check reports it
        if (!named(path) && !manifest.directories().contains(path)) {
          out.add(path + " is " + (a.isSymbolicLink() ? "a symlink" : "a file") + " the manifest does not name");
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }
    });
    return out;
  }

  private static void ancestors(String path, Set<String> dirs) {
    for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      if (!dirs.add(path.substring(0, slash))) {
        return;
      }
    }
  }

  /** A recorded directory must be one, not a symlink (which the walk would not look through). */
  private static String checkDirectory(Path root, String path) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(ViewLayout.inside(root, path), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return path + " is missing";
    }
    if (!a.isDirectory()) {
      return path + " is not a directory but " + (a.isSymbolicLink() ? "a symlink" : "a file");
    }
    return null;
  }

  private String checkFile(Path root, String path, FileEntry f, boolean content, Set<Object> hashed,
      Map<Digest, Object> objectKeys)
      throws IOException {
    Path at = ViewLayout.inside(root, path);
    Map<String, Object> a;
    try {
      a = Files.readAttributes(at, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);  // one lstat
    } catch (NoSuchFileException e) {
      return path + " is missing";
    }
    if (!(Boolean) a.get("isRegularFile")) {
      return path + " is not a regular file";
    }
    long size = (Long) a.get("size");
    if (size != f.size()) {
      return path + " has " + size + " bytes, not " + f.size();
    }
    int mode = ViewBuilder.presentedMode(f.mode());
    ViewBuilder.Presentation shown = new ViewBuilder.Presentation((Integer) a.get("mode") & 07777,
        ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).to(java.util.concurrent.TimeUnit.SECONDS));
    if (!shown.equals(new ViewBuilder.Presentation(mode, f.mtime()))) {
      return path + " shows mode " + String.format("%04o", shown.mode()) + " mtime " + shown.mtimeSeconds()
          + ", not " + String.format("%04o", mode) + " mtime " + f.mtime();
    }
    Object key = a.get("fileKey");
    // the object's own key is looked up once per object, not once per file that links it
    Object objectKey = objectKeys.get(f.digest());
    if (objectKey == null) {
      objectKey = fileKey(layout.objectPath(f.digest()));
      objectKeys.put(f.digest(), objectKey);
    }
    if (!key.equals(objectKey)
        && !key.equals(fileKey(layout.variantPath(f.digest(), mode, f.mtime())))) {
      return path + " is not a link to cache object " + f.digest();
    }
    if (content && hashed.add(key)) {
      Digest actual;
      try (DigestingInputStream in = new DigestingInputStream(Files.newInputStream(at, LinkOption.NOFOLLOW_LINKS))) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
        actual = in.descriptor().digest();
      }
      if (!actual.equals(f.digest())) {
        return path + " hashes to " + actual + ", not " + f.digest() + "; the cache object is corrupt:"
            + " run cache-client fsck --repair";
      }
    }
    return null;
  }

  private static Object fileKey(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    } catch (NoSuchFileException e) {
      return "missing:" + p;
    }
  }

  private static void add(List<String> problems, int[] more, String problem) {
    if (problem == null) {
      return;
    }
    if (problems.size() < MAX_LISTED) {
      problems.add(problem);
    } else {
      more[0]++;
    }
  }
}
