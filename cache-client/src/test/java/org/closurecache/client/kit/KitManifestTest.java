package org.closurecache.client.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kit's manifest as the bootstrap reads it: deploy/node/bootstrap's busybox-only parser
 * (with busybox's awk, and with this host's, as on a full-OS node) against the manifest's own
 * contents, on paths holding every JSON structure character; a manifest needing an escape is
 * refused by both sides. And the staging rules: relocation out of the stage, jars without native
 * libraries, byte for byte the same each time.
 */
class KitManifestTest {
  static final Path BOOTSTRAP = Path.of(System.getProperty("user.dir")).resolve("../deploy/node/bootstrap").normalize();

  @TempDir Path dir;

  static Manifest manifest(SortedMap<String, FileEntry> extra, SortedMap<String, String> links, List<String> dirs) {
    Digest d = Digest.of("entry".getBytes(StandardCharsets.UTF_8));
    SortedMap<String, FileEntry> files = new TreeMap<>(extra);
    files.put("/usr/bin/entry", FileEntry.of(d, 5, 0755, 1_700_000_000L, Reason.ENTRY));
    return new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint("/usr/bin/entry", d),
        Optional.empty(), List.of(), files, links, new TreeSet<>(dirs),
        new Launch(List.of("/usr/bin/entry", "{a: [1, 2]}, x"), new TreeMap<>(Map.of("PATH", "/bin")), "/"));
  }

  static Manifest odd() {
    SortedMap<String, FileEntry> files = new TreeMap<>();
    int i = 0;
    for (String p : List.of("/opt/a b/c d.txt", "/opt/{braces}/[brackets]", "/opt/x:y,z", "/opt/,\u201dsignatures\u201d:[",
        "/opt/\u00fcml\u00e4ut/\u65e5\u672c", "/opt/-1/2e5", "/opt/true/null")) {
      byte[] body = ("file " + i).getBytes(StandardCharsets.UTF_8);
      files.put(p, FileEntry.of(Digest.of(body), body.length, i % 2 == 0 ? 0644 : 0755, -5 + i, Reason.INCLUDED));
      i++;
    }
    Digest lib = Digest.of("lib".getBytes(StandardCharsets.UTF_8));
    files.put("/usr/lib/libx.so.1.2", FileEntry.neededBy(lib, 3, 0644, 0, "/usr/bin/entry"));
    SortedMap<String, String> links = new TreeMap<>(Map.of("/usr/lib/libx.so.1", "libx.so.1.2", "/lib", "usr/lib",
        "/opt/link with space", "../opt/a b/c d.txt"));
    return manifest(files, links, List.of("/opt/empty dir", "/srv/[d]"));
  }

  /** The lines the bootstrap must print for {@code m}, sorted. */
  static List<String> expected(Manifest m) {
    List<String> lines = new ArrayList<>(List.of("S schema 1"));
    m.files().forEach((p, f) -> lines.add("F " + f.digest().hex() + " " + f.modeString() + " " + p));
    m.symlinks().forEach((p, t) -> lines.add("L " + p + "\t" + t));
    m.directories().forEach(p -> lines.add("D " + p));
    lines.sort(null);
    return lines;
  }

  record Run(int status, List<String> out, String err) {}

  Run list(Manifest m, String path) throws Exception {
    Path file = Files.write(dir.resolve("manifest"), ManifestCodec.toCanonicalBytes(m));
    ProcessBuilder pb = new ProcessBuilder("sh", BOOTSTRAP.toString(), "--list-manifest", file.toString());
    pb.environment().put("PATH", path);
    pb.redirectError(dir.resolve("err").toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    List<String> lines = new ArrayList<>(out.lines().toList());
    lines.sort(null);
    return new Run(p.exitValue(), lines, Files.readString(dir.resolve("err")));
  }

  /** A folder of busybox applet links, so that the script's awk, sed and grep are busybox's. */
  Path busyboxPath() throws IOException {
    Path busybox = Path.of("/bin/busybox");
    assumeTrue(Files.isExecutable(busybox), "busybox-static (.ci/test installs it)");
    Path bin = Files.createDirectories(dir.resolve("bb"));
    for (String applet : List.of("sh", "awk", "sed", "grep", "cat", "tr")) {
      Files.createSymbolicLink(bin.resolve(applet), busybox);
    }
    return bin;
  }

  @Test
  void bootstrapParser_readsEveryFileSymlinkAndDirectory_withBusyboxAwk() throws Exception {
    Manifest m = odd();
    Run r = list(m, busyboxPath().toString());
    assertEquals(0, r.status(), r.err());
    assertEquals(expected(m), r.out());
  }

  @Test
  void bootstrapParser_readsTheSame_withThisHostsAwk() throws Exception {
    Manifest m = odd();
    Run r = list(m, "/usr/bin:/bin");
    assertEquals(0, r.status(), r.err());
    assertEquals(expected(m), r.out());
  }

  @Test
  void aManifestNeedingAnEscape_isRefusedByTheKitBuilderAndTheBootstrap() throws Exception {
    byte[] body = "q".getBytes(StandardCharsets.UTF_8);
    Manifest m = manifest(new TreeMap<>(Map.of("/opt/say \"hi\"", FileEntry.of(Digest.of(body), 1, 0644, 0, Reason.INCLUDED))),
        new TreeMap<>(), List.of());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> KitBuilder.requirePlainJson(m));
    assertTrue(e.getMessage().contains("JSON escape"), e.getMessage());
    for (String path : List.of(busyboxPath().toString(), "/usr/bin:/bin")) {
      Run r = list(m, path);
      assertEquals(1, r.status());
      assertEquals(List.of(), r.out());
      assertEquals("bootstrap: the kit manifest holds JSON escapes; this bootstrap reads plain paths only\n", r.err());
    }
  }

  @Test
  void garbage_isNotReadAsAManifest() throws Exception {
    Path file = Files.writeString(dir.resolve("manifest"), "{\"files\":{\"/a\":{\"digest\":\"md5:x\",\"mode\":\"0644\"}}}");
    for (String path : List.of(busyboxPath().toString(), "/usr/bin:/bin")) {
      ProcessBuilder pb = new ProcessBuilder("sh", BOOTSTRAP.toString(), "--list-manifest", file.toString());
      pb.environment().put("PATH", path);
      pb.redirectErrorStream(true);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(1, p.exitValue(), out);
      assertTrue(out.contains("bootstrap: the kit manifest is not one this bootstrap can read"), out);
    }
  }

  @Test
  void relocate_movesStagedPathsAndDropsTheStagesParents() {
    String stage = "/tmp/stage-1";
    byte[] body = "k".getBytes(StandardCharsets.UTF_8);
    SortedMap<String, FileEntry> files = new TreeMap<>(Map.of(
        stage + "/opt/closure-cache/lib/x.so", FileEntry.neededBy(Digest.of(body), 1, 0644, 0, "/usr/bin/entry"),
        "/usr/lib/y.so", FileEntry.neededBy(Digest.of(body), 1, 0644, 0, stage + "/opt/closure-cache/lib/x.so")));
    Manifest m = manifest(files, new TreeMap<>(Map.of(stage + "/opt/closure-cache/lib/l", stage + "/opt/closure-cache/lib/x.so")),
        List.of("/tmp", stage + "/opt/closure-cache/empty"));
    Manifest moved = KitBuilder.relocate(m, stage);
    assertTrue(moved.files().containsKey("/opt/closure-cache/lib/x.so"));
    assertEquals(Optional.of("/opt/closure-cache/lib/x.so"), moved.files().get("/usr/lib/y.so").by());
    assertEquals("/opt/closure-cache/lib/x.so", moved.symlinks().get("/opt/closure-cache/lib/l"));
    assertEquals(new TreeSet<>(List.of("/opt/closure-cache/empty")), moved.directories());
    assertFalse(new String(ManifestCodec.toCanonicalBytes(moved), StandardCharsets.UTF_8).contains(stage));
  }

  @Test
  void withoutNativeLibraries_dropsThemKeepsTheRest_andIsTheSameBytesEachTime() throws Exception {
    Path jar = dir.resolve("in.jar");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
      for (String name : List.of("META-INF/MANIFEST.MF", "a/B.class", "librocksdbjni-linux64.so", "librocksdbjni-osx.jnilib",
          "x/librocksdbjni-linux-aarch64.so", "notes/librocksdbjni-linux64.so.txt")) {
        ZipEntry e = new ZipEntry(name);
        e.setTime(1_600_000_000_000L);
        out.putNextEntry(e);
        write(out, name);
        out.closeEntry();
      }
    }
    Path a = dir.resolve("a.jar");
    Path b = dir.resolve("b.jar");
    KitBuilder.withoutNativeLibraries(jar, a);
    Thread.sleep(1100);
    KitBuilder.withoutNativeLibraries(jar, b);
    assertEquals(Digest.of(Files.readAllBytes(a)), Digest.of(Files.readAllBytes(b)), "an unchanged jar is an unchanged object");
    try (ZipFile z = new ZipFile(a.toFile())) {
      assertEquals(List.of("META-INF/MANIFEST.MF", "a/B.class", "notes/librocksdbjni-linux64.so.txt"),
          z.stream().map(ZipEntry::getName).toList());
      assertEquals("a/B.class", new String(z.getInputStream(z.getEntry("a/B.class")).readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
  }
}
