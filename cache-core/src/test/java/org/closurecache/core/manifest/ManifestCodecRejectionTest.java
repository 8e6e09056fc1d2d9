package org.closurecache.core.manifest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.closurecache.core.manifest.Fixtures.LD;
import static org.closurecache.core.manifest.Fixtures.LD_DIGEST;
import static org.closurecache.core.manifest.Fixtures.LIBM;
import static org.closurecache.core.manifest.Fixtures.PYTHON;
import static org.closurecache.core.manifest.Fixtures.PYTHON_DIGEST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.closurecache.core.json.CanonicalJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every way a manifest document can be wrong is refused with a message naming the problem. */
class ManifestCodecRejectionTest {

  private static ObjectNode doc() {
    return ManifestCodec.toJson(Fixtures.manifest());
  }

  private static ObjectNode obj(JsonNode n, String field) {
    return (ObjectNode) n.get(field);
  }

  private static ObjectNode file(ObjectNode doc, String path) {
    return obj(obj(doc, "files"), path);
  }

  private static ManifestFormatException rejects(byte[] bytes, String... fragments) {
    ManifestFormatException e = assertThrows(ManifestFormatException.class, () -> ManifestCodec.parse(bytes));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "message <" + e.getMessage() + "> lacks <" + f + ">");
    }
    return e;
  }

  private static ManifestFormatException rejects(Consumer<ObjectNode> mutation, String... fragments) {
    ObjectNode doc = doc();
    mutation.accept(doc);
    return rejects(CanonicalJson.write(doc), fragments);
  }

  /** Adds an extra, otherwise valid file at {@code path}. */
  private static Consumer<ObjectNode> addFile(String path) {
    return d -> obj(d, "files").set(path, file(d, LD).deepCopy().put("reason", "included"));
  }

  @Test
  void fixture_isValid_andRoundTrips() throws ManifestFormatException {
    Manifest m = Fixtures.manifest();
    assertEquals(m, ManifestCodec.parse(ManifestCodec.toCanonicalBytes(m)));
  }

  @Test
  void parse_whenSchemaIs2_saysWhichSchemaThisBuildReads() {
    rejects(d -> d.put("schema", 2), "unsupported manifest schema 2", "this build reads schema 1");
    rejects(d -> d.put("schema", 0), "unsupported manifest schema 0", "reads schema 1");
    rejects(d -> d.put("schema", 1L << 40), "unsupported manifest schema 1099511627776");
    rejects(d -> d.put("schema", "1"), "schema must be an integer");
  }

  @Test
  void parse_whenSchemaIs2WithFieldsThisBuildDoesNotKnow_stillSaysWhichSchemaThisBuildReads() {
    rejects(d -> {
      d.put("schema", 2);
      d.put("sandbox", "strict");
      d.remove("resolver");
      file(d, LIBM).put("xattrs", "x");
    }, "unsupported manifest schema 2", "this build reads schema 1");
  }

  @Test
  void parse_whenFilePathIsRelative_rejectsNamingThePath() {
    rejects(addFile("usr/lib/libz.so.1"), "file path must be absolute", "usr/lib/libz.so.1");
    rejects(d -> obj(d, "symlinks").put("lib32", "usr/lib32"), "symlink path must be absolute", "lib32");
    rejects(d -> obj(d, "entry").put("path", "python3"), "entry path must be absolute", "python3");
  }

  static Stream<Arguments> badPaths() {
    String longComponent = "\u00e9".repeat(128); // 128 chars but 256 UTF-8 bytes
    return Stream.of(
        Arguments.of("/usr/lib/../etc/libz.so", "'..' component", "/usr/lib/../etc/libz.so"),
        Arguments.of("/usr/lib/..", "'..' component", "/usr/lib/.."),
        Arguments.of("/usr//lib/libz.so", "'//'", "/usr//lib/libz.so"),
        Arguments.of("//usr/lib/libz.so", "'//'", "//usr/lib/libz.so"),
        Arguments.of("/usr/./lib/libz.so", "'.' component", "/usr/./lib/libz.so"),
        Arguments.of("/usr/lib/libz/", "must not end with '/'", "/usr/lib/libz/"),
        Arguments.of("/usr/lib/li\0bz.so", "NUL", "/usr/lib/li\\0bz.so"),
        Arguments.of("/usr/" + longComponent + "/libz.so", "component over 255 bytes", "/usr/\u00e9\u00e9"),
        Arguments.of("/", "not / itself", "file path"),
        Arguments.of("", "must not be empty", "file path"),
        Arguments.of("/usr/lib/\uD800z.so", "lone UTF-16 surrogate", "file path"));
  }

  @ParameterizedTest
  @MethodSource("badPaths")
  void parse_whenFilePathIsNotNormalised_rejectsNamingThePath(String path, String problem, String shown) {
    if (path.contains("\uD800")) {
      // a lone surrogate cannot be put in a canonical document: the JSON layer refuses it first
      assertThrows(IllegalArgumentException.class, () -> Fixtures.with(withExtraFile(path),
          Fixtures.symlinks(), new org.closurecache.core.manifest.EntryPoint(PYTHON, PYTHON_DIGEST)));
      return;
    }
    rejects(addFile(path), problem, shown);
  }

  @ParameterizedTest
  @MethodSource("badPaths")
  void constructor_whenSymlinkOrEntryPathIsNotNormalised_rejectsNamingThePath(
      String path, String problem, String shown) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
      var links = Fixtures.symlinks();
      links.put(path, "/usr/bin/python3.11");
      Fixtures.with(Fixtures.files(), links, new EntryPoint(PYTHON, PYTHON_DIGEST));
    });
    assertTrue(e.getMessage().contains(problem) && e.getMessage().contains("symlink path"), e.getMessage());
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> new EntryPoint(path, PYTHON_DIGEST));
    assertTrue(e2.getMessage().contains(problem) && e2.getMessage().contains("entry path"), e2.getMessage());
  }

  private static java.util.SortedMap<String, FileEntry> withExtraFile(String path) {
    var files = Fixtures.files();
    files.put(path, FileEntry.of(LD_DIGEST, 1, 0644, 0, Reason.INCLUDED));
    return files;
  }

  @Test
  void parse_whenComponentIsExactly255Bytes_accepts() throws ManifestFormatException {
    for (String component : new String[] {"a".repeat(255), "\u00e9".repeat(127) + "a", "\uD83D\uDE00".repeat(63) + "abc"}) {
      ObjectNode d = doc();
      addFile("/opt/" + component).accept(d);
      assertTrue(ManifestCodec.parse(CanonicalJson.write(d)).files().containsKey("/opt/" + component));
    }
  }

  @Test
  void parse_whenDuplicateKeysInFiles_rejectsNamingTheKey() {
    String text = new String(ManifestCodec.toCanonicalBytes(Fixtures.manifest()), UTF_8);
    int start = text.indexOf("\"" + LIBM + "\":{");
    int end = text.indexOf('}', start) + 1;
    String entry = text.substring(start, end);
    String duplicated = text.substring(0, end) + "," + entry + text.substring(end);
    ManifestFormatException e = rejects(duplicated.getBytes(UTF_8), "Duplicate field", LIBM);
    assertTrue(e.getMessage().startsWith("manifest"), e.getMessage());
    // and in a symlink map and a file object
    String dupLink = text.replace("\"symlinks\":{", "\"symlinks\":{\"/lib\":\"usr/lib\",");
    rejects(dupLink.getBytes(UTF_8), "Duplicate field", "/lib");
    String dupField = text.replace("\"" + LIBM + "\":{", "\"" + LIBM + "\":{\"by\":\"" + PYTHON + "\",");
    rejects(dupField.getBytes(UTF_8), "Duplicate field", "by");
  }

  @Test
  void parse_whenPathIsBothFileAndSymlink_rejectsNamingThePath() {
    rejects(d -> obj(d, "symlinks").put(LIBM, "libm.so.6.0"), "is both a file and a symlink", LIBM);
  }

  @Test
  void parse_whenFileLiesUnderASymlinkedDirectoryKey_rejectsNamingBoth() {
    rejects(addFile("/lib/x86_64-linux-gnu/libz.so.1"),
        "/lib/x86_64-linux-gnu/libz.so.1 lies under /lib", "record the resolved path");
    rejects(d -> obj(d, "symlinks").put(PYTHON + "/x", "y"), PYTHON + "/x lies under " + PYTHON);
    rejects(addFile(PYTHON + "/a/b"), PYTHON + "/a/b lies under " + PYTHON);
  }

  @Test
  void parse_whenSizeIsNegative_rejectsNamingTheFile() {
    rejects(d -> file(d, LIBM).put("size", -1), "files[\"" + LIBM + "\"].size", "got -1");
    rejects(d -> file(d, LIBM).put("size", Long.MIN_VALUE), "size", "got " + Long.MIN_VALUE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0777x", "1755", "4755", "2755", "0755 ", "755", "07777", "0800", "0o755", "", "+755", "０755"})
  void parse_whenModeIsNotFourOctalDigitsUpTo0777_rejectsQuotingIt(String mode) {
    rejects(d -> file(d, LIBM).put("mode", mode),
        "files[\"" + LIBM + "\"].mode", "0000 to 0777", "\"" + mode + "\"");
  }

  @Test
  void parse_whenModeIsANumber_rejectsSayingItMustBeAString() {
    rejects(d -> file(d, LIBM).put("mode", 493), "files[\"" + LIBM + "\"].mode must be a string");
    rejects(d -> file(d, LIBM).put("mode", 755), ".mode must be a string");
  }

  @Test
  void fileEntry_whenModeHasSetIdOrStickyBits_rejects() {
    for (int mode : new int[] {04755, 02755, 01777, -1}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FileEntry.of(LD_DIGEST, 0, mode, 0, Reason.INCLUDED));
      assertTrue(e.getMessage().contains("between 0000 and 0777"), e.getMessage());
    }
    assertEquals("0000", FileEntry.of(LD_DIGEST, 0, 0, 0, Reason.INCLUDED).modeString());
    assertEquals("0755", FileEntry.of(LD_DIGEST, 0, 0755, 0, Reason.INCLUDED).modeString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sha256:ABCDEF", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", "",
      "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"})
  void parse_whenDigestIsMalformed_rejectsNamingWhere(String digest) {
    rejects(d -> file(d, LIBM).put("digest", digest), "files[\"" + LIBM + "\"].digest", "64 lowercase hex");
    rejects(d -> obj(d, "entry").put("digest", digest), "entry.digest", "64 lowercase hex");
  }

  @Test
  void parse_whenDigestIsNotAString_rejects() {
    rejects(d -> file(d, LIBM).put("digest", 1), "files[\"" + LIBM + "\"].digest must be a string");
    rejects(d -> obj(d, "entry").putArray("digest"), "entry.digest must be a string");
  }

  static Stream<Arguments> unknownFields() {
    return Stream.of(
        Arguments.of((Consumer<ObjectNode>) d -> d.put("extra", 1), "manifest has an unknown field \"extra\""),
        Arguments.of((Consumer<ObjectNode>) d -> obj(d, "entry").put("extra", "x"), "entry has an unknown field \"extra\""),
        Arguments.of((Consumer<ObjectNode>) d -> file(d, LIBM).put("extra", true),
            "files[\"" + LIBM + "\"] has an unknown field \"extra\""),
        Arguments.of((Consumer<ObjectNode>) d -> ((ObjectNode) d.get("libraries").get(1)).put("extra", 0),
            "library has an unknown field \"extra\""),
        Arguments.of((Consumer<ObjectNode>) d -> obj(d, "launch").put("extra", "x"), "launch has an unknown field \"extra\""),
        Arguments.of((Consumer<ObjectNode>) d -> d.put("Schema", 1), "unknown field \"Schema\""));
  }

  @ParameterizedTest
  @MethodSource("unknownFields")
  void parse_whenUnknownFieldAtAnyLevel_rejectsNamingFieldAndLevel(Consumer<ObjectNode> mutation, String message) {
    rejects(mutation, message);
  }

  static Stream<Arguments> requiredFields() {
    Stream<Arguments> top = Stream.of("schema", "platform", "resolver", "entry", "libraries", "files", "symlinks", "launch")
        .map(f -> Arguments.of("", f, "manifest lacks the field \"" + f + "\""));
    Stream<Arguments> entry = Stream.of("path", "digest").map(f -> Arguments.of("entry", f, "entry lacks the field \"" + f + "\""));
    Stream<Arguments> file = Stream.of("digest", "size", "mode", "mtime", "reason")
        .map(f -> Arguments.of("file", f, "files[\"" + LIBM + "\"] lacks the field \"" + f + "\""));
    Stream<Arguments> lib = Stream.of("name", "path").map(f -> Arguments.of("library", f, "library lacks the field \"" + f + "\""));
    Stream<Arguments> launch = Stream.of("argv", "env", "cwd").map(f -> Arguments.of("launch", f, "launch lacks the field \"" + f + "\""));
    return Stream.of(top, entry, file, lib, launch).flatMap(s -> s);
  }

  @ParameterizedTest
  @MethodSource("requiredFields")
  void parse_whenRequiredFieldMissing_rejectsNamingIt(String level, String field, String message) {
    rejects(d -> {
      ObjectNode target = switch (level) {
        case "" -> d;
        case "file" -> file(d, LIBM);
        case "library" -> (ObjectNode) d.get("libraries").get(0);
        default -> obj(d, level);
      };
      target.remove(field);
    }, message);
  }

  @Test
  void parse_whenInterpreterAbsent_accepts() throws ManifestFormatException {
    ObjectNode d = doc();
    d.remove("interpreter");
    assertTrue(ManifestCodec.parse(CanonicalJson.write(d)).interpreter().isEmpty());
  }

  @Test
  void parse_whenValuesHaveWrongTypes_rejectsNamingTheField() {
    rejects(d -> d.put("platform", 1), "platform must be a string");
    rejects(d -> d.put("platform", " "), "platform must be 1 to 256 characters");
    rejects(d -> d.put("resolver", "r".repeat(257)), "resolver must be 1 to 256 characters");
    rejects(d -> d.putObject("libraries"), "libraries must be an array");
    rejects(d -> d.putArray("files"), "files must be an object");
    rejects(d -> d.put("entry", "x"), "entry must be a JSON object");
    rejects(d -> file(d, LIBM).put("mtime", "0"), ".mtime must be an integer");
    rejects(d -> file(d, LIBM).put("reason", "because"), "files[\"" + LIBM + "\"]", "unknown reason \"because\"");
    rejects(d -> obj(d, "symlinks").put("/bin", 5), "symlinks[\"/bin\"] must be a string");
    rejects(d -> obj(obj(d, "launch"), "env").put("HOME", true), "launch.env[\"HOME\"] must be a string");
    rejects(d -> ((ArrayNode) obj(d, "launch").get("argv")).add(3), "launch.argv element must be a string");
    rejects(d -> obj(d, "launch").put("argv", "python3"), "launch.argv must be an array");
    rejects(d -> obj(d, "launch").putArray("argv"), "argv must hold at least argv[0]");
    rejects(d -> obj(d, "launch").put("cwd", "home"), "launch cwd must be an absolute path", "\"home\"");
    rejects(d -> obj(obj(d, "launch"), "env").put("A=B", "x"), "bad environment variable name \"A=B\"");
    rejects(d -> obj(d, "symlinks").put("/bin", ""), "target of symlink /bin must be a non-empty link target");
    rejects(d -> ((ObjectNode) d.get("libraries").get(0)).put("name", ""), "library name must be non-empty");
    rejects(d -> ((ObjectNode) d.get("libraries").get(0)).put("path", "libm.so.6"), "library path must be absolute");
    rejects(d -> d.put("interpreter", "ld.so"), "interpreter must be an absolute path", "\"ld.so\"");
  }

  @Test
  void parse_whenEntryDoesNotResolve_rejectsNamingThePath() {
    rejects(d -> obj(d, "entry").put("path", "/usr/bin/python4"),
        "entry path /usr/bin/python4 does not lead to a file of the manifest");
    rejects(d -> obj(d, "entry").put("path", "/usr/bin"), "entry path /usr/bin does not lead to a file");
  }

  @Test
  void parse_whenEntryDigestDiffersFromItsFile_rejectsNamingBothDigests() {
    rejects(d -> obj(d, "entry").put("digest", LD_DIGEST.toString()),
        "entry digest " + LD_DIGEST, "differs from that of " + PYTHON, PYTHON_DIGEST.toString());
  }

  @Test
  void parse_whenNeededByWithoutBy_rejectsNamingTheFile() {
    rejects(d -> file(d, LIBM).remove("by"), "files[\"" + LIBM + "\"]", "\"by\" is required with reason needed-by");
  }

  @Test
  void parse_whenByWithAnotherReason_rejectsNamingTheFile() {
    rejects(d -> file(d, LD).put("by", PYTHON), "files[\"" + LD + "\"]", "not allowed otherwise (reason interpreter)");
  }

  @Test
  void parse_whenNeededByPointsToANonFile_rejectsNamingBoth() {
    rejects(d -> file(d, LIBM).put("by", "/usr/bin/python3"),
        "file " + LIBM + " is needed by /usr/bin/python3, which is not a file of the manifest");
    rejects(d -> file(d, LIBM).put("by", "/usr/bin/nope"), "needed by /usr/bin/nope, which is not a file");
    rejects(d -> file(d, LIBM).put("by", "python3"), "by must be an absolute path", "\"python3\"");
  }

  @Test
  void parse_whenLibraryPathDoesNotResolve_rejectsNamingTheLibrary() {
    rejects(d -> ((ObjectNode) d.get("libraries").get(0)).put("path", "/lib/x86_64-linux-gnu/libz.so.1"),
        "library libm.so.6 at /lib/x86_64-linux-gnu/libz.so.1 does not lead to a file of the manifest");
    rejects(d -> ((ArrayNode) d.get("libraries")).add(d.get("libraries").get(0).deepCopy()),
        "library /lib/x86_64-linux-gnu/libm.so.6 is listed twice");
  }

  @Test
  void parse_whenInterpreterDoesNotResolve_rejectsNamingIt() {
    rejects(d -> d.put("interpreter", "/lib64/ld.so"), "interpreter at /lib64/ld.so does not lead to a file");
  }

  @Test
  void parse_whenEntryRunsIntoASymlinkLoop_rejectsNamingTheEntry() {
    rejects(d -> {
      obj(d, "symlinks").put("/loop/a", "b").put("/loop/b", "a");
      obj(d, "entry").put("path", "/loop/a");
    }, "entry path /loop/a does not lead to a file of the manifest");
    rejects(d -> {
      obj(d, "symlinks").put("/loop/self", "/loop/self");
      ((ObjectNode) d.get("libraries").get(0)).put("path", "/loop/self");
    }, "library libm.so.6 at /loop/self does not lead to a file");
  }

  @Test
  void parse_whenUnusedSymlinksLoopOrDangle_accepts() throws ManifestFormatException {
    ObjectNode d = doc();
    obj(d, "symlinks").put("/loop/a", "b").put("/loop/b", "a").put("/dangling", "/nowhere");
    assertEquals(6, ManifestCodec.parse(CanonicalJson.write(d)).symlinks().size());
  }

  @Test
  void parse_whenOverMaxBytes_rejectsBeforeParsing() {
    byte[] huge = new byte[ManifestCodec.MAX_BYTES + 1];
    Arrays.fill(huge, (byte) '[');
    long start = System.nanoTime();
    rejects(huge, "manifest is " + (ManifestCodec.MAX_BYTES + 1) + " bytes", "over the limit of " + ManifestCodec.MAX_BYTES);
    assertTrue(System.nanoTime() - start < 1_000_000_000L, "the size check must come before any parsing");
  }

  @Test
  void parse_whenNotCanonical_rejects() throws Exception {
    String text = new String(ManifestCodec.toCanonicalBytes(Fixtures.manifest()), UTF_8);
    rejects((text + "\n").getBytes(UTF_8), "not in canonical form");
    rejects(text.replaceFirst("\\{", "{ ").getBytes(UTF_8), "not in canonical form");
    rejects(text.replace("\":", "\": ").getBytes(UTF_8), "not in canonical form");
    byte[] pretty = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(doc());
    rejects(pretty, "not in canonical form");
    byte[] unsorted = new ObjectMapper().writeValueAsBytes(doc()); // insertion order, not sorted
    rejects(unsorted, "sorted keys");
    rejects(text.replace("\"schema\":1", "\"schema\":1.0").getBytes(UTF_8), "canonical");
    rejects(text.replace("\"schema\":1", "\"schema\":null").getBytes(UTF_8), "canonical JSON has no NULL");
    rejects((text + "{}").getBytes(UTF_8), "not valid JSON");
    rejects(new byte[0], "manifest is empty");
    rejects("[]".getBytes(UTF_8), "manifest must be a JSON object");
  }
}
