package org.closurecache.core.manifest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.closurecache.core.digest.Digest;

/**
 * Random but valid manifests. The shape (component pool, which paths exist) comes from jqwik so
 * it shrinks; the details (digests, sizes, link targets, which paths the entry and libraries use)
 * come from a seeded Random so every choice can be made consistent with the rest.
 */
final class ManifestArbitraries {
  /** Pieces of path components and strings: quotes, backslashes, controls, BMP edges, emoji. */
  static final List<String> ATOMS = List.of(
      "a", "b", "lib", "Q", "0", "-", "_", ".", " ", "'", "\"", "\\", "\u00e9", "\u4e2d",
      "\uD83D\uDE00", "\uDBFF\uDFFF", "\uFFFF", "\uE000", "\u2028", "\n", "\t", "\u0001", "\u001f",
      "\u007f", "$", "*", "~", ":", "=", "%", "{", "}", "[", "]");

  private ManifestArbitraries() {}

  static Arbitrary<String> atomString(int min, int max) {
    return Arbitraries.of(ATOMS).list().ofMinSize(min).ofMaxSize(max).map(l -> String.join("", l));
  }

  static Arbitrary<String> component() {
    return atomString(1, 5).filter(c -> !c.equals(".") && !c.equals(".."));
  }

  static Arbitrary<Manifest> manifests() {
    Arbitrary<List<String>> pool = component().list().uniqueElements().ofMinSize(1).ofMaxSize(6);
    Arbitrary<List<Integer>> indexPath = Arbitraries.integers().between(0, 5).list().ofMinSize(1).ofMaxSize(4);
    Arbitrary<List<List<Integer>>> filePaths = indexPath.list().ofMinSize(1).ofMaxSize(12);
    Arbitrary<List<List<Integer>>> linkPaths = indexPath.list().ofMinSize(0).ofMaxSize(8);
    Arbitrary<List<List<Integer>>> dirPaths = indexPath.list().ofMinSize(0).ofMaxSize(5);
    Arbitrary<List<String>> strings = atomString(0, 6).list().ofMinSize(12).ofMaxSize(12);
    return Combinators.combine(pool, filePaths, linkPaths, dirPaths, strings, Arbitraries.longs())
        .as(ManifestArbitraries::build);
  }

  private static String path(List<String> pool, List<Integer> indices) {
    StringBuilder sb = new StringBuilder();
    for (int i : indices) {
      sb.append('/').append(pool.get(i % pool.size()));
    }
    return sb.toString();
  }

  /** Accepts {@code p} as a key unless it collides with, lies under, or contains another key. */
  private static boolean accept(String p, Set<String> keys, Set<String> dirs) {
    if (keys.contains(p) || dirs.contains(p)) {
      return false;
    }
    for (String a = ManifestPaths.parent(p); !a.equals("/"); a = ManifestPaths.parent(a)) {
      if (keys.contains(a)) {
        return false;
      }
    }
    keys.add(p);
    for (String a = ManifestPaths.parent(p); !a.equals("/"); a = ManifestPaths.parent(a)) {
      dirs.add(a);
    }
    return true;
  }

  private static List<String> parts(String absolute) {
    List<String> out = new ArrayList<>();
    for (String s : absolute.substring(1).split("/", -1)) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  /** A relative target that leads from the directory holding {@code link} to {@code target}. */
  static String relative(String link, String target) {
    List<String> from = parts(ManifestPaths.parent(link));
    List<String> to = parts(target);
    int common = 0;
    while (common < from.size() && common < to.size() - 1 && from.get(common).equals(to.get(common))) {
      common++;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = common; i < from.size(); i++) {
      sb.append("../");
    }
    sb.append(String.join("/", to.subList(common, to.size())));
    return sb.toString();
  }

  private static <T> T pick(Random r, List<T> list) {
    return list.get(r.nextInt(list.size()));
  }

  private static long edgy(Random r, long... edges) {
    return r.nextInt(4) == 0 ? edges[r.nextInt(edges.length)] : r.nextLong();
  }

  private static Manifest build(List<String> pool, List<List<Integer>> filePaths,
      List<List<Integer>> linkPaths, List<List<Integer>> dirPaths, List<String> strings, long seed) {
    Random r = new Random(seed);
    Set<String> keys = new HashSet<>();
    Set<String> dirs = new HashSet<>();
    List<String> filePathList = new ArrayList<>();
    for (List<Integer> ix : filePaths) {
      String p = path(pool, ix);
      if (accept(p, keys, dirs)) {
        filePathList.add(p);
      }
    }
    List<String> linkPathList = new ArrayList<>();
    for (List<Integer> ix : linkPaths) {
      // some links get a fresh top-level name so they can point at directories
      String p = r.nextInt(3) == 0 ? "/" + pool.get(r.nextInt(pool.size())) + "-link" + r.nextInt(3) : path(pool, ix);
      if (accept(p, keys, dirs)) {
        linkPathList.add(p);
      }
    }

    SortedMap<String, FileEntry> files = new TreeMap<>();
    List<Digest> digests = new ArrayList<>();
    for (String p : filePathList) {
      Digest digest;
      if (!digests.isEmpty() && r.nextInt(5) == 0) {
        digest = pick(r, digests); // identical contents at two paths
      } else {
        byte[] raw = new byte[32];
        r.nextBytes(raw);
        digest = Digest.ofBytes(raw);
        digests.add(digest);
      }
      long size = edgy(r, 0, 1, Long.MAX_VALUE) & Long.MAX_VALUE;
      int mode = r.nextInt(4) == 0 ? new int[] {0, 0777, 0755, 0644}[r.nextInt(4)] : r.nextInt(01000);
      long mtime = edgy(r, Long.MIN_VALUE, -1, 0, Long.MAX_VALUE, 1_700_000_000L);
      Reason reason = Reason.values()[r.nextInt(Reason.values().length)];
      files.put(p, reason == Reason.NEEDED_BY
          ? FileEntry.neededBy(digest, size, mode, mtime, pick(r, filePathList))
          : FileEntry.of(digest, size, mode, mtime, reason));
    }

    List<String> dirList = new ArrayList<>(dirs);
    dirList.sort(null);
    SortedMap<String, String> symlinks = new TreeMap<>();
    for (String link : linkPathList) {
      String target;
      switch (r.nextInt(7)) {
        case 0 -> target = pick(r, filePathList);
        case 1 -> target = relative(link, pick(r, filePathList));
        case 2 -> target = dirList.isEmpty() ? pick(r, filePathList) : pick(r, dirList);
        case 3 -> target = dirList.isEmpty() ? "." : relative(link, pick(r, dirList));
        case 4 -> target = linkPathList.size() > 1 ? pick(r, linkPathList) : "/nowhere";
        case 5 -> target = "./" + relative(link, pick(r, filePathList));
        default -> target = pick(r, List.of("../" + pick(r, pool), "x/../" + pick(r, pool), "/"
            + pick(r, strings) + "/", "\u00e9 \\ \"q\"", ".."));
      }
      if (target.isEmpty()) {
        target = ".";
      }
      symlinks.put(link, target);
    }

    // Paths that should resolve: files, links, and file paths reached through directory links,
    // directly or with a ".." after the link.
    Set<String> candidates = new LinkedHashSet<>(filePathList);
    candidates.addAll(linkPathList);
    for (String link : linkPathList) {
      for (String f : filePathList) {
        for (String d : dirList) {
          if (f.startsWith(d + "/")) {
            String rest = f.substring(d.length());
            candidates.add(link + rest);
            candidates.add(link + "/../" + d.substring(d.lastIndexOf('/') + 1) + rest);
          }
        }
      }
    }
    List<String> resolving = new ArrayList<>();
    for (String c : candidates) {
      if (Manifest.resolve(c, files, symlinks).isPresent()) {
        resolving.add(c);
      }
    }
    List<String> normalResolving = resolving.stream().filter(ManifestArbitraries::isNormal).toList();

    String entryPath = pick(r, normalResolving);
    Digest entryDigest = files.get(Manifest.resolve(entryPath, files, symlinks).orElseThrow()).digest();
    Optional<String> interpreter = r.nextBoolean() ? Optional.of(pick(r, resolving)) : Optional.empty();
    List<String> shuffled = new ArrayList<>(resolving);
    java.util.Collections.shuffle(shuffled, r);
    List<LoadedLibrary> libraries = new ArrayList<>();
    for (String lib : shuffled.subList(0, r.nextInt(shuffled.size() + 1))) {
      String name = strings.get(libraries.size() % strings.size());
      libraries.add(new LoadedLibrary(name.isEmpty() ? "lib" + libraries.size() + ".so" : name, lib));
    }

    List<String> argv = new ArrayList<>(strings.subList(0, 1 + r.nextInt(4)));
    SortedMap<String, String> env = new TreeMap<>();
    for (int i = 0; i < r.nextInt(5); i++) {
      String name = strings.get(4 + i).replace("=", "");
      env.put(name.isEmpty() ? "V" + i : name, strings.get(11 - i));
    }
    String cwd = r.nextBoolean() ? "/" : dirList.isEmpty() ? "/tmp/../\u00e9" : pick(r, dirList);
    String platform = r.nextBoolean() ? "x86_64-linux-gnu" : "p" + strings.get(10);
    String resolver = "r" + strings.get(9);

    // Directories holding no key (a fresh name below a key's parent, or one beside the keys), and
    // sometimes one above keys, which is redundant but allowed.
    SortedSet<String> directories = new TreeSet<>();
    for (List<Integer> ix : dirPaths) {
      String p = switch (r.nextInt(3)) {
        case 0 -> path(pool, ix);
        case 1 -> dirList.isEmpty() ? path(pool, ix) : pick(r, dirList);
        default -> {
          String parent = ManifestPaths.parent(pick(r, filePathList));
          yield (parent.equals("/") ? "" : parent) + "/" + pick(r, pool) + "-d";
        }
      };
      if (!keys.contains(p) && !underAKey(p, keys)) {
        directories.add(p);
      }
    }

    return new Manifest(Manifest.SCHEMA, platform, resolver, new EntryPoint(entryPath, entryDigest),
        interpreter, libraries, files, symlinks, directories, new Launch(argv, env, cwd));
  }

  private static boolean underAKey(String p, Set<String> keys) {
    for (String a = ManifestPaths.parent(p); !a.equals("/"); a = ManifestPaths.parent(a)) {
      if (keys.contains(a)) {
        return true;
      }
    }
    return false;
  }

  static boolean isNormal(String p) {
    try {
      ManifestPaths.requireNormalAbsolute(p, "p");
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
