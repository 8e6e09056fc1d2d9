package org.closurecache.core.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;

/**
 * The wire form of a {@link Manifest}: canonical JSON ({@link CanonicalJson}); a manifest's
 * digest is the SHA-256 of those bytes.
 *
 * <pre>{@code
 * {"directories":["/usr/lib/python3.11/lib-dynload"],
 *  "entry":{"digest":"sha256:…","path":"/usr/bin/python3"},
 *  "files":{"/usr/bin/python3.11":{"digest":"sha256:…","mode":"0755","mtime":1700000000,
 *                                 "reason":"entry","size":6831704}, …},
 *  "interpreter":"/lib64/ld-linux-x86-64.so.2",
 *  "launch":{"argv":["/usr/bin/python3","-c","pass"],"cwd":"/home/u","env":{"LANG":"C.UTF-8"}},
 *  "libraries":[{"name":"libm.so.6","path":"/lib/x86_64-linux-gnu/libm.so.6"}, …],
 *  "platform":"x86_64-linux-gnu","resolver":"…","schema":1,
 *  "symlinks":{"/lib":"usr/lib","/usr/bin/python3":"python3.11"}}
 * }</pre>
 *
 * <p>{@code directories} is written only when the manifest has some, as an array sorted by code
 * point (the order of object keys) without duplicates, so a manifest without them has the bytes,
 * and the digest, it had before the field existed; an empty, unsorted or duplicated array is not
 * canonical and is refused.
 *
 * <p>Parsing is strict: unknown or missing fields, wrong types, duplicate keys, non-canonical
 * bytes and documents over {@link #MAX_BYTES} are refused with {@link ManifestFormatException}.
 * Stateless and thread-safe.
 */
public final class ManifestCodec {
  /** Largest manifest document accepted. */
  public static final int MAX_BYTES = 32 << 20;

  private static final Set<String> TOP_FIELDS = Set.of(
      "schema", "platform", "resolver", "entry", "interpreter", "libraries", "files", "symlinks", "directories",
      "launch");
  private static final Set<String> TOP_REQUIRED = Set.of(
      "schema", "platform", "resolver", "entry", "libraries", "files", "symlinks", "launch");
  private static final Set<String> FILE_FIELDS = Set.of("digest", "size", "mode", "mtime", "reason", "by");
  private static final Set<String> FILE_REQUIRED = Set.of("digest", "size", "mode", "mtime", "reason");

  private ManifestCodec() {}

  public static byte[] toCanonicalBytes(Manifest m) {
    return CanonicalJson.write(toJson(m));
  }

  public static Digest digest(Manifest m) {
    return Digest.of(toCanonicalBytes(m));
  }

  /** Parses canonical manifest bytes, as received over the wire or read from a cache. */
  public static Manifest parse(byte[] bytes) throws ManifestFormatException {
    JsonNode node;
    try {
      node = CanonicalJson.parseCanonical(bytes, MAX_BYTES, "manifest");
    } catch (ManifestFormatException e) {
      throw e;
    } catch (JsonFormatException e) {
      throw new ManifestFormatException(e.getMessage());
    }
    return fromJson(node);
  }

  /** Builds a manifest from an already parsed JSON tree (e.g. one embedded in an envelope). */
  public static Manifest fromJson(JsonNode node) throws ManifestFormatException {
    try {
      // The schema comes first: a newer manifest may well have fields this build does not
      // know, and "unsupported schema" is the useful thing to say about it.
      if (node == null || !node.isObject()) {
        throw new ManifestFormatException("manifest must be a JSON object");
      }
      if (!node.has("schema")) {
        throw new ManifestFormatException("manifest lacks the field \"schema\"");
      }
      long schemaNumber = integer(node.get("schema"), "schema", Long.MIN_VALUE, Long.MAX_VALUE);
      if (schemaNumber != Manifest.SCHEMA) {
        throw new ManifestFormatException("unsupported manifest schema " + schemaNumber
            + "; this build reads schema " + Manifest.SCHEMA + " (upgrade closure-cache to read newer manifests)");
      }
      int schema = (int) schemaNumber;
      requireFields(node, "manifest", TOP_FIELDS, TOP_REQUIRED);
      JsonNode entry = node.get("entry");
      requireFields(entry, "entry", Set.of("path", "digest"), Set.of("path", "digest"));
      EntryPoint entryPoint = new EntryPoint(text(entry.get("path"), "entry.path"), digest(entry.get("digest"), "entry.digest"));
      Optional<String> interpreter = node.has("interpreter")
          ? Optional.of(text(node.get("interpreter"), "interpreter")) : Optional.empty();
      return new Manifest(
          schema,
          text(node.get("platform"), "platform"),
          text(node.get("resolver"), "resolver"),
          entryPoint,
          interpreter,
          libraries(node.get("libraries")),
          files(node.get("files")),
          stringMap(node.get("symlinks"), "symlinks"),
          node.has("directories") ? directories(node.get("directories")) : new TreeSet<>(),
          launch(node.get("launch")));
    } catch (IllegalArgumentException e) {
      throw new ManifestFormatException("invalid manifest: " + e.getMessage());
    }
  }

  public static ObjectNode toJson(Manifest m) {
    ObjectNode root = CanonicalJson.object();
    root.put("schema", m.schema());
    root.put("platform", m.platform());
    root.put("resolver", m.resolver());
    ObjectNode entry = root.putObject("entry");
    entry.put("path", m.entry().path());
    entry.put("digest", m.entry().digest().toString());
    m.interpreter().ifPresent(i -> root.put("interpreter", i));
    ArrayNode libs = root.putArray("libraries");
    for (LoadedLibrary lib : m.libraries()) {
      libs.addObject().put("name", lib.name()).put("path", lib.path());
    }
    ObjectNode files = root.putObject("files");
    for (Map.Entry<String, FileEntry> e : m.files().entrySet()) {
      FileEntry f = e.getValue();
      ObjectNode o = files.putObject(e.getKey());
      o.put("digest", f.digest().toString());
      o.put("size", f.size());
      o.put("mode", f.modeString());
      o.put("mtime", f.mtime());
      o.put("reason", f.reason().wire());
      f.by().ifPresent(by -> o.put("by", by));
    }
    ObjectNode links = root.putObject("symlinks");
    m.symlinks().forEach(links::put);
    if (!m.directories().isEmpty()) {
      ArrayNode dirs = root.putArray("directories");
      m.directories().stream().sorted(CanonicalJson::compareCodePoints).forEach(dirs::add);
    }
    ObjectNode launch = root.putObject("launch");
    ArrayNode argv = launch.putArray("argv");
    m.launch().argv().forEach(argv::add);
    ObjectNode env = launch.putObject("env");
    m.launch().env().forEach(env::put);
    launch.put("cwd", m.launch().cwd());
    return root;
  }

  private static List<LoadedLibrary> libraries(JsonNode node) throws ManifestFormatException {
    if (node == null || !node.isArray()) {
      throw new ManifestFormatException("libraries must be an array");
    }
    List<LoadedLibrary> out = new ArrayList<>(node.size());
    for (JsonNode lib : node) {
      requireFields(lib, "library", Set.of("name", "path"), Set.of("name", "path"));
      out.add(new LoadedLibrary(text(lib.get("name"), "library name"), text(lib.get("path"), "library path")));
    }
    return out;
  }

  private static SortedMap<String, FileEntry> files(JsonNode node) throws ManifestFormatException {
    if (node == null || !node.isObject()) {
      throw new ManifestFormatException("files must be an object of path to file");
    }
    SortedMap<String, FileEntry> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String where = "files[" + ManifestPaths.show(e.getKey()) + "]";
      JsonNode f = e.getValue();
      requireFields(f, where, FILE_FIELDS, FILE_REQUIRED);
      Optional<String> by = f.has("by") ? Optional.of(text(f.get("by"), where + ".by")) : Optional.empty();
      try {
        out.put(e.getKey(), new FileEntry(
            digest(f.get("digest"), where + ".digest"),
            integer(f.get("size"), where + ".size", 0, Long.MAX_VALUE),
            mode(f.get("mode"), where + ".mode"),
            integer(f.get("mtime"), where + ".mtime", Long.MIN_VALUE, Long.MAX_VALUE),
            Reason.fromWire(text(f.get("reason"), where + ".reason")),
            by));
      } catch (IllegalArgumentException ex) {
        throw new ManifestFormatException(where + ": " + ex.getMessage());
      }
    }
    return out;
  }

  private static SortedSet<String> directories(JsonNode node) throws ManifestFormatException {
    if (!node.isArray() || node.isEmpty()) {
      throw new ManifestFormatException(
          "directories must be a non-empty array of paths (leave the field out when there are none)");
    }
    SortedSet<String> out = new TreeSet<>();
    String previous = null;
    for (JsonNode d : node) {
      String path = text(d, "directories element");
      if (previous != null && CanonicalJson.compareCodePoints(previous, path) >= 0) {
        throw new ManifestFormatException("directories must be sorted by code point without duplicates: "
            + ManifestPaths.show(path) + " follows " + ManifestPaths.show(previous));
      }
      out.add(path);
      previous = path;
    }
    return out;
  }

  private static Launch launch(JsonNode node) throws ManifestFormatException {
    requireFields(node, "launch", Set.of("argv", "env", "cwd"), Set.of("argv", "env", "cwd"));
    JsonNode argvNode = node.get("argv");
    if (!argvNode.isArray()) {
      throw new ManifestFormatException("launch.argv must be an array of strings");
    }
    List<String> argv = new ArrayList<>();
    for (JsonNode a : argvNode) {
      argv.add(text(a, "launch.argv element"));
    }
    return new Launch(argv, stringMap(node.get("env"), "launch.env"), text(node.get("cwd"), "launch.cwd"));
  }

  private static SortedMap<String, String> stringMap(JsonNode node, String what) throws ManifestFormatException {
    if (node == null || !node.isObject()) {
      throw new ManifestFormatException(what + " must be an object of strings");
    }
    SortedMap<String, String> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), text(e.getValue(), what + "[" + ManifestPaths.show(e.getKey()) + "]"));
    }
    return out;
  }

  private static void requireFields(JsonNode node, String what, Set<String> allowed, Set<String> required)
      throws ManifestFormatException {
    if (node == null || !node.isObject()) {
      throw new ManifestFormatException(what + " must be a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw new ManifestFormatException(what + " has an unknown field \"" + name + "\"");
      }
    }
    for (String name : required) {
      if (!node.has(name)) {
        throw new ManifestFormatException(what + " lacks the field \"" + name + "\"");
      }
    }
  }

  private static String text(JsonNode node, String what) throws ManifestFormatException {
    if (node == null || !node.isTextual()) {
      throw new ManifestFormatException(what + " must be a string");
    }
    return node.textValue();
  }

  private static long integer(JsonNode node, String what, long min, long max) throws ManifestFormatException {
    if (node == null || !node.isIntegralNumber() || !node.canConvertToLong()) {
      throw new ManifestFormatException(what + " must be an integer");
    }
    long v = node.longValue();
    if (v < min || v > max) {
      throw new ManifestFormatException(what + " must be between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  private static int mode(JsonNode node, String what) throws ManifestFormatException {
    String s = text(node, what);
    if (!s.matches("0[0-7]{3}")) {
      throw new ManifestFormatException(what + " must be four octal digits from 0000 to 0777, got \"" + s + "\"");
    }
    return Integer.parseInt(s, 8);
  }

  private static Digest digest(JsonNode node, String what) throws ManifestFormatException {
    try {
      return Digest.parse(text(node, what));
    } catch (IllegalArgumentException e) {
      throw new ManifestFormatException(what + ": " + e.getMessage());
    }
  }
}
