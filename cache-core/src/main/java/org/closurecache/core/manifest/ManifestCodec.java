package org.closurecache.core.manifest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
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

  /**
   * The canonical bytes of {@code m}: the same as {@code CanonicalJson.write(toJson(m))}, but the
   * files are streamed, one small node at a time, so a manifest of 200,000 files needs no tree.
   */
  public static byte[] toCanonicalBytes(Manifest m) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(64 * m.files().size() + 4096);
    try {
      writeCanonical(m, out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("writing to memory failed", e);
    }
    return out.toByteArray();
  }

  /** Writes the canonical bytes of {@code m} to {@code out} (not closed), streaming the files. */
  public static void writeCanonical(Manifest m, java.io.OutputStream out) throws IOException {
    ObjectNode rest = toJsonWithoutFiles(m);
    CanonicalJson.write(out, rest, "files", g -> {
      List<String> paths = new ArrayList<>(m.files().keySet());
      paths.sort(CanonicalJson::compareCodePoints); // TreeMap order is UTF-16 order; this is code point order
      g.writeStartObject();
      for (String path : paths) {
        CanonicalJson.writeField(g, path);
        CanonicalJson.writeValue(g, fileNode(m.files().get(path)));
      }
      g.writeEndObject();
    });
  }

  /**
   * Reads a manifest object from a streaming parser positioned on its first token, holding only
   * one file entry's tree at a time; the checks and messages are those of {@link #fromJson}.
   * Leaves the parser on the object's last token. The bytes are not checked to be canonical:
   * callers compare {@link #toCanonicalBytes} of the result with what they read.
   */
  public static Manifest read(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      return fromJson(CanonicalJson.readValue(p));
    }
    ObjectNode rest = CanonicalJson.object();
    SortedMap<String, FileEntry> files = null;
    ManifestFormatException filesError = null;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (name.equals("files") && value == JsonToken.START_OBJECT && !rest.has("files")) {
        files = new TreeMap<>();
        for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
          String path = p.currentName();
          p.nextToken();
          JsonNode entry = CanonicalJson.readValue(p);
          if (filesError == null) {
            try {
              files.put(path, fileEntry(path, entry));
            } catch (ManifestFormatException e) {
              filesError = e; // reported where fromJson would report it, after the schema and the rest
            }
          }
        }
        rest.putObject("files");
      } else {
        rest.set(name, CanonicalJson.readValue(p));
      }
    }
    if (files == null) {
      return fromJson(rest);
    }
    SortedMap<String, FileEntry> streamed = files;
    ManifestFormatException error = filesError;
    return fromJson(rest, () -> {
      if (error != null) {
        throw error;
      }
      return streamed;
    });
  }

  /** The files member, or the error reading it; see {@link #read}. */
  @FunctionalInterface
  private interface StreamedFiles {
    SortedMap<String, FileEntry> get() throws ManifestFormatException;
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
    return fromJson(node, null);
  }

  private static Manifest fromJson(JsonNode node, StreamedFiles streamedFiles) throws ManifestFormatException {
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
          streamedFiles != null ? streamedFiles.get() : files(node.get("files")),
          stringMap(node.get("symlinks"), "symlinks"),
          node.has("directories") ? directories(node.get("directories")) : new TreeSet<>(),
          launch(node.get("launch")));
    } catch (IllegalArgumentException e) {
      throw new ManifestFormatException("invalid manifest: " + e.getMessage());
    }
  }

  public static ObjectNode toJson(Manifest m) {
    ObjectNode root = toJsonWithoutFiles(m);
    ObjectNode files = root.putObject("files");
    for (Map.Entry<String, FileEntry> e : m.files().entrySet()) {
      files.set(e.getKey(), fileNode(e.getValue()));
    }
    return root;
  }

  private static ObjectNode fileNode(FileEntry f) {
    ObjectNode o = CanonicalJson.object();
    o.put("digest", f.digest().toString());
    o.put("size", f.size());
    o.put("mode", f.modeString());
    o.put("mtime", f.mtime());
    o.put("reason", f.reason().wire());
    f.by().ifPresent(by -> o.put("by", by));
    return o;
  }

  /** Every member but {@code files}. */
  private static ObjectNode toJsonWithoutFiles(Manifest m) {
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
      out.put(e.getKey(), fileEntry(e.getKey(), e.getValue()));
    }
    return out;
  }

  private static FileEntry fileEntry(String path, JsonNode f) throws ManifestFormatException {
    String where = "files[" + ManifestPaths.show(path) + "]";
    requireFields(f, where, FILE_FIELDS, FILE_REQUIRED);
    Optional<String> by = f.has("by") ? Optional.of(text(f.get("by"), where + ".by")) : Optional.empty();
    try {
      return new FileEntry(
          digest(f.get("digest"), where + ".digest"),
          integer(f.get("size"), where + ".size", 0, Long.MAX_VALUE),
          mode(f.get("mode"), where + ".mode"),
          integer(f.get("mtime"), where + ".mtime", Long.MIN_VALUE, Long.MAX_VALUE),
          Reason.fromWire(text(f.get("reason"), where + ".reason")),
          by);
    } catch (IllegalArgumentException ex) {
      throw new ManifestFormatException(where + ": " + ex.getMessage());
    }
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
