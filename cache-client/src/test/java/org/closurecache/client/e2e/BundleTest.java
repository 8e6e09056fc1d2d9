package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cache.Staged;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export a pulled closure to a bundle; import it on an air-gapped node; refuse hostile bundles. */
class BundleTest {
  @TempDir Path dir;
  Node node;
  CacheServer master;
  String git;
  Path bundle;

  @BeforeEach
  void exportOne() throws Exception {
    node = new Node(dir);
    master = node.master("master");
    git = node.publish(master, "git", "/usr/bin/git", "--version").lastLine();
    Path cache = dir.resolve("cache");
    assertEquals(0, node.pull(master.baseUrl(), cache, "git").status());
    bundle = dir.resolve("git.tar");
    Node.Run r = Node.cli("export", "--cache", cache.toString(), "git", "-o", bundle.toString());
    assertEquals(0, r.status(), r.err());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  Node.Run importInto(Path cache, Path file) {
    return Node.cli("import", "--cache", cache.toString(), "--trust", node.pub.toString(), file.toString());
  }

  @Test
  void import_onAnEmptyNode_givesACompleteClosureAndTheTag() throws Exception {
    Path airGapped = dir.resolve("air");
    Node.Run r = importInto(airGapped, bundle);
    assertEquals(0, r.status(), r.err());
    Node.Run ls = Node.cli("ls", "--json", "--cache", airGapped.toString());
    assertTrue(ls.out().contains(git) && ls.out().contains("\"complete\":true") && ls.out().contains("\"git\""), ls.out());
    assertEquals(0, Node.cli("fsck", "--cache", airGapped.toString()).status());
  }

  @Test
  void import_givesEachObjectTheModeBitsAndMtimeOfItsFirstRecordedFile() throws Exception {
    Path airGapped = dir.resolve("air");
    assertEquals(0, importInto(airGapped, bundle).status());
    try (NodeCache cache = NodeCache.openReadOnly(airGapped)) {
      Digest digest = Digest.parse(git);
      Manifest m = SignedManifest.storedManifest(cache.manifest(digest).orElseThrow());
      Map<Digest, Staged.Presentation> expected = Staged.Presentation.byObject(m);
      assertEquals(m.objectDigests().size(), expected.size());
      for (Map.Entry<Digest, Staged.Presentation> e : expected.entrySet()) {
        Path object = cache.layout().objectPath(e.getKey());
        int mode = 0;
        for (PosixFilePermission bit : Files.getPosixFilePermissions(object)) {
          mode |= 1 << (8 - bit.ordinal());
        }
        assertEquals(e.getValue().fileMode(), mode, object + " mode 0" + Integer.toOctalString(mode));
        assertEquals(e.getValue().mtimeSeconds(), Files.getLastModifiedTime(object).to(TimeUnit.SECONDS),
            object.toString());
      }
      assertTrue(expected.values().stream().anyMatch(p -> (p.fileMode() & 0111) != 0), "git's closure has executables");
    }
  }

  @Test
  void import_gzippedBundle_works() throws Exception {
    Path gz = dir.resolve("git.tar.gz");
    assertEquals(0, Node.cli("export", "--cache", dir.resolve("cache").toString(), git, "-o", gz.toString()).status());
    assertEquals(0, importInto(dir.resolve("air"), gz).status());
  }

  /** Rewrites the bundle, changing one entry (or adding one) as {@code edit} says. */
  interface Edit {
    void apply(TarArchiveEntry entry, byte[] content, TarArchiveOutputStream out) throws Exception;
  }

  Path rewrite(String name, Edit edit) throws Exception {
    Path out = dir.resolve(name);
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(bundle));
        OutputStream file = Files.newOutputStream(out);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(file)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        byte[] content = in.readAllBytes();
        edit.apply(e, content, tar);
      }
    }
    return out;
  }

  static void copy(TarArchiveEntry e, byte[] content, TarArchiveOutputStream tar) throws Exception {
    TarArchiveEntry copy = new TarArchiveEntry(e.getName());
    copy.setSize(content.length);
    tar.putArchiveEntry(copy);
    tar.write(content);
    tar.closeArchiveEntry();
  }

  void assertRefused(Path hostile, String why) throws Exception {
    Path air = dir.resolve("air-" + hostile.getFileName());
    Node.Run r = importInto(air, hostile);
    assertEquals(1, r.status(), r.out());
    assertTrue(r.err().contains(why), r.err());
    assertTrue(r.err().contains("nothing was imported") || r.err().contains("bundle object"), r.err());
    assertEquals("[]", Node.cli("ls", "--json", "--cache", air.toString()).out().strip());
  }

  @Test
  void import_refusesAnObjectWhoseBytesWereChanged() throws Exception {
    boolean[] once = {false};
    Path hostile = rewrite("flipped.tar", (e, content, tar) -> {
      if (e.getName().startsWith("objects/") && !once[0]) {
        content[content.length / 2] ^= 1;
        once[0] = true;
      }
      copy(e, content, tar);
    });
    assertRefused(hostile, "hash");
  }

  @Test
  void import_refusesAMissingObject() throws Exception {
    boolean[] once = {false};
    Path hostile = rewrite("short.tar", (e, content, tar) -> {
      if (e.getName().startsWith("objects/") && !once[0]) {
        once[0] = true;
        return;
      }
      copy(e, content, tar);
    });
    assertRefused(hostile, "neither in the bundle nor in the cache");
  }

  @Test
  void import_refusesTraversalNamesAndLinks() throws Exception {
    Path traversal = rewrite("traversal.tar", (e, content, tar) -> {
      copy(e, content, tar);
      if (e.getName().equals("closure-cache-bundle")) {
        copy(new TarArchiveEntry("../../etc/evil"), "x".getBytes(), tar);
      }
    });
    assertRefused(traversal, "unexpected entry");
    Path link = rewrite("link.tar", (e, content, tar) -> {
      copy(e, content, tar);
      if (e.getName().equals("closure-cache-bundle")) {
        TarArchiveEntry l = new TarArchiveEntry("objects/" + "0".repeat(64), TarArchiveEntry.LF_SYMLINK);
        l.setLinkName("/etc/passwd");
        tar.putArchiveEntry(l);
        tar.closeArchiveEntry();
      }
    });
    assertRefused(link, "not a regular file");
  }

  @Test
  void import_refusesAnUntrustedSignatureAndGarbage() throws Exception {
    Node stranger = new Node(dir.resolve("stranger"));
    Node.Run r = Node.cli("import", "--cache", dir.resolve("air").toString(), "--trust", stranger.pub.toString(),
        bundle.toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("nothing was imported"), r.err());
    Path junk = dir.resolve("junk.tar");
    Files.writeString(junk, "not a tar at all", StandardCharsets.UTF_8);
    assertRefused(junk, "marker");
  }

  @Test
  void import_tagAtTheCachedRevisionNamingAnotherManifest_isRefusedBeforeAnythingIsWritten() throws Exception {
    Path air = dir.resolve("air");
    assertEquals(0, importInto(air, bundle).status());
    // another master holds revision 1 of the same tag, naming another program
    CacheServer other = node.master("other");
    String truth = node.publish(other, "git", "/usr/bin/true").lastLine();
    Path otherCache = dir.resolve("other-cache");
    assertEquals(0, node.pull(other.baseUrl(), otherCache, "git").status());
    Path conflicting = dir.resolve("conflicting.tar");
    assertEquals(0, Node.cli("export", "--cache", otherCache.toString(), "git", "-o", conflicting.toString()).status());
    String before = Node.cli("ls", "--json", "--cache", air.toString()).out();

    Node.Run r = importInto(air, conflicting);

    assertEquals(1, r.status(), r.out());
    assertTrue(r.err().contains("revision 1") && r.err().contains("nothing was imported"), r.err());
    assertEquals(before, Node.cli("ls", "--json", "--cache", air.toString()).out(), "the cache is unchanged");
    assertTrue(!before.contains(truth), before);
    try (NodeCache cache = NodeCache.openReadOnly(air)) {
      assertTrue(cache.manifest(Digest.parse(truth)).isEmpty(), "the refused manifest was not stored");
    }
  }

  @Test
  void import_objectThatInflatesPastItsManifestSize_isRefusedWithoutWritingIt() throws Exception {
    Path bomb = dir.resolve("bomb.tar.gz");
    long inflated = 64L << 20;
    String[] target = {null};
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(bundle));
        OutputStream file = Files.newOutputStream(bomb);
        GZIPOutputStream gz = new GZIPOutputStream(file, 1 << 16);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        byte[] content = in.readAllBytes();
        if (e.getName().startsWith("objects/") && target[0] == null) {
          target[0] = e.getName();
          TarArchiveEntry big = new TarArchiveEntry(e.getName());
          big.setSize(inflated);
          tar.putArchiveEntry(big);
          byte[] zeros = new byte[1 << 20];
          for (long n = 0; n < inflated; n += zeros.length) {
            tar.write(zeros);
          }
          tar.closeArchiveEntry();
        } else {
          copy(e, content, tar);
        }
      }
    }
    assertTrue(Files.size(bomb) < inflated / 10, "a bomb: " + Files.size(bomb) + " bytes on disk");
    Path air = dir.resolve("air-bomb");

    Node.Run r = importInto(air, bomb);

    assertEquals(1, r.status(), r.out());
    assertTrue(r.err().contains(target[0] + " is " + inflated + " bytes, but its manifest says"), r.err());
    assertEquals("[]", Node.cli("ls", "--json", "--cache", air.toString()).out().strip());
    try (var left = Files.list(air.resolve("tmp"))) {
      assertEquals(0, left.count(), "no temp file left behind");
    }
  }

  @Test
  void import_objectNoManifestNames_isRefused() throws Exception {
    Path stray = rewrite("stray.tar", (e, content, tar) -> {
      copy(e, content, tar);
      if (e.getName().startsWith("tags/") || e.getName().startsWith("manifests/")) {
        return;
      }
      if (e.getName().equals("closure-cache-bundle")) {
        byte[] junk = "not named by the manifest".getBytes(StandardCharsets.UTF_8);
        copy(new TarArchiveEntry("objects/" + Digest.of(junk).hex()), junk, tar);
      }
    });
    assertRefused(stray, "named by no manifest");
  }
}
