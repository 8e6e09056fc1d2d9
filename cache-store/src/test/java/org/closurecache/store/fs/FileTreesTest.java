package org.closurecache.store.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
  @TempDir Path dir;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void delete_ofATreeWithASymlinkToADirectoryOutside_removesTheLinkAndLeavesTheOutsideAlone() throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.write(outside.resolve("precious"), utf8("keep me"));
    Path tree = Files.createDirectories(dir.resolve("tree/usr/lib"));
    Files.write(tree.resolve("libx.so"), utf8("x"));
    Files.createSymbolicLink(tree.resolve("escape"), outside);
    Files.createSymbolicLink(dir.resolve("tree/root-link"), Path.of("/"));

    FileTrees.delete(dir.resolve("tree"));

    assertFalse(Files.exists(dir.resolve("tree"), LinkOption.NOFOLLOW_LINKS));
    assertArrayEquals(utf8("keep me"), Files.readAllBytes(outside.resolve("precious")));
  }

  @Test
  void delete_ofASymlinkAsTop_removesTheLinkOnly() throws IOException {
    Path target = Files.createDirectories(dir.resolve("target"));
    Files.write(target.resolve("f"), utf8("kept"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);

    FileTrees.delete(link);

    assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
    assertArrayEquals(utf8("kept"), Files.readAllBytes(target.resolve("f")));
  }

  @Test
  void delete_ofATreeWithUnreadableAndReadOnlyParts_deletesThemAll() throws IOException {
    Path tree = dir.resolve("tree");
    Path locked = Files.createDirectories(tree.resolve("a/locked/deeper"));
    Files.write(locked.resolve("f"), utf8("x"));
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
    Files.setPosixFilePermissions(tree.resolve("a/locked"), PosixFilePermissions.fromString("---------"));
    Path readOnly = Files.createDirectories(tree.resolve("b"));
    Files.write(readOnly.resolve("r"), utf8("r"));
    Files.setPosixFilePermissions(readOnly.resolve("r"), PosixFilePermissions.fromString("r--r--r--"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));

    FileTrees.delete(tree);

    assertFalse(Files.exists(tree, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void delete_ofAMissingTree_doesNothing() throws IOException {
    FileTrees.delete(dir.resolve("nothing")); // already gone is done: a retried sweep must not fail
    assertFalse(Files.exists(dir.resolve("nothing"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void delete_refusesToCrossAMountPoint_andLeavesTheMountsContent() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("tree"));
    Files.write(tree.resolve("before"), utf8("b"));
    Path mnt = Files.createDirectories(tree.resolve("mnt"));
    assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString()),
        "cannot mount a tmpfs here (not root, or no mount permission)");
    try {
      Files.write(mnt.resolve("on-the-mount"), utf8("mounted"));

      IOException e = assertThrows(IOException.class, () -> FileTrees.delete(tree));
      assertTrue(e.getMessage().contains(mnt.toString()) && e.getMessage().contains("another filesystem"),
          e.getMessage());
      assertArrayEquals(utf8("mounted"), Files.readAllBytes(mnt.resolve("on-the-mount")));

      IOException top = assertThrows(IOException.class, () -> FileTrees.delete(mnt));
      assertTrue(top.getMessage().contains("another filesystem"), top.getMessage());
      assertArrayEquals(utf8("mounted"), Files.readAllBytes(mnt.resolve("on-the-mount")));
    } finally {
      assertTrue(run("umount", mnt.toString()), "umount " + mnt);
    }
    FileTrees.delete(tree); // unmounted: an ordinary tree again
    assertFalse(Files.exists(tree));
  }

  private static boolean run(String... command) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException notRunnable) {
      return false;
    }
  }
}
