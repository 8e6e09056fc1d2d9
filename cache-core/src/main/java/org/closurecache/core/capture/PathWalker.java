package org.closurecache.core.capture;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves absolute paths one component at a time, as the kernel does, and reports every symlink
 * met on the way ({@code /lib64 -> usr/lib64}, {@code /usr/lib64/ld-linux-x86-64.so.2 ->
 * /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2}, {@code /lib -> usr/lib}) so a closure can be
 * rebuilt elsewhere exactly. Each link is reported at its own resolved location (no symlinked
 * directory above it). Caches what it learned: not thread-safe, one per capture.
 */
public final class PathWalker {
  private static final int MAX_HOPS = 40;

  /** A symlink at {@code path} (no symlink above it) whose content is {@code target}. */
  public record Link(String path, String target) {}

  /** Where a path leads and the symlinks that took it there, in the order followed. */
  public record Walk(String realPath, List<Link> links) {}

  /** What is at a path (no symlink above it): a link's target, or whether it is a directory. */
  private record Node(Optional<String> target, boolean directory) {}

  private final Map<String, Node> nodes = new HashMap<>();

  public Walk walk(String absolutePath) throws IOException {
    if (!absolutePath.startsWith("/")) {
      throw new IllegalArgumentException("path must be absolute: " + absolutePath);
    }
    Deque<String> todo = new ArrayDeque<>();
    push(todo, absolutePath);
    List<Link> met = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int hops = 0;
    while (!todo.isEmpty()) {
      String component = todo.pop();
      if (component.isEmpty()) {
        continue;
      }
      if (current.length() > 0 && !nodeAt(current.toString()).directory()) {
        // the kernel's ENOTDIR: "/etc/passwd/.." and "/etc/passwd/x" lead nowhere
        throw new FileSystemException(absolutePath, null, current + " is not a directory");
      }
      if (component.equals(".")) {
        continue;
      }
      if (component.equals("..")) {
        // current never contains a symlink, so its lexical parent is its physical parent
        current.setLength(Math.max(current.lastIndexOf("/"), 0));
        continue;
      }
      int mark = current.length();
      current.append('/').append(component);
      Optional<String> target = nodeAt(current.toString()).target();
      if (target.isPresent()) {
        if (++hops > MAX_HOPS) {
          throw new FileSystemException(absolutePath, null, "more than " + MAX_HOPS + " symlinks");
        }
        met.add(new Link(current.toString(), target.get()));
        current.setLength(target.get().startsWith("/") ? 0 : mark);
        push(todo, target.get());
      }
    }
    return new Walk(current.length() == 0 ? "/" : current.toString(), List.copyOf(met));
  }

  private Node nodeAt(String path) throws IOException {
    Node known = nodes.get(path);
    if (known != null) {
      return known;
    }
    Path p = Path.of(path);
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(path, null, "does not exist");
    }
    Node result = attrs.isSymbolicLink()
        ? new Node(Optional.of(Files.readSymbolicLink(p).toString()), false)
        : new Node(Optional.empty(), attrs.isDirectory());
    nodes.put(path, result);
    return result;
  }

  private static void push(Deque<String> todo, String path) {
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      todo.push(parts[i]);
    }
  }
}
