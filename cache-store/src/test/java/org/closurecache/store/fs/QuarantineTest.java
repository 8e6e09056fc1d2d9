package org.closurecache.store.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuarantineTest {
  @TempDir Path dir;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void move_keepsTheRelativePath_createsTheQuarantineWithMode0700_andCounts() throws IOException {
    Path from = Files.createDirectories(dir.resolve("objects/ab"));
    Path file = Files.write(from.resolve("junk"), utf8("junk"));
    Quarantine q = new Quarantine(dir.resolve("objects"), dir.resolve("quarantine"));

    Path moved = q.move(file);

    assertEquals(dir.resolve("quarantine/ab/junk"), moved);
    assertArrayEquals(utf8("junk"), Files.readAllBytes(moved));
    assertFalse(Files.exists(file));
    assertEquals(0700, (Integer) Files.getAttribute(dir.resolve("quarantine"), "unix:mode") & 0777);
    assertEquals(1, q.moved());
  }

  @Test
  void move_neverOverwrites_aLaterOneOfTheSameNameGetsTheNextSuffix() throws IOException {
    Path objects = Files.createDirectories(dir.resolve("objects"));
    Quarantine q = new Quarantine(objects, dir.resolve("quarantine"));
    for (String content : new String[] {"first", "second", "third"}) {
      q.move(Files.write(objects.resolve("README"), utf8(content)));
    }
    // a new Quarantine (a later run) continues the sequence
    Path fourth = new Quarantine(objects, dir.resolve("quarantine")).move(Files.write(objects.resolve("README"),
        utf8("fourth")));

    assertArrayEquals(utf8("first"), Files.readAllBytes(dir.resolve("quarantine/README")));
    assertArrayEquals(utf8("second"), Files.readAllBytes(dir.resolve("quarantine/README.1")));
    assertArrayEquals(utf8("third"), Files.readAllBytes(dir.resolve("quarantine/README.2")));
    assertEquals(dir.resolve("quarantine/README.3"), fourth);
    assertEquals(3, q.moved());
  }

  @Test
  void move_whenADirectoryOfThePathIsTakenByAFileInQuarantine_usesASuffixedDirectory() throws IOException {
    Path objects = Files.createDirectories(dir.resolve("objects"));
    Quarantine q = new Quarantine(objects, dir.resolve("quarantine"));
    q.move(Files.write(objects.resolve("ab"), utf8("a file named like a shard")));
    Files.createDirectories(objects.resolve("ab/cd"));
    Path stray = Files.write(objects.resolve("ab/cd/junk"), utf8("junk"));

    Path moved = q.move(stray);

    assertEquals(dir.resolve("quarantine/ab.1/cd/junk"), moved);
    assertArrayEquals(utf8("junk"), Files.readAllBytes(moved));
    assertArrayEquals(utf8("a file named like a shard"), Files.readAllBytes(dir.resolve("quarantine/ab")));
    assertEquals(dir.resolve("quarantine/ab.1/cd/junk.1"),
        q.move(Files.write(objects.resolve("ab/cd/junk"), utf8("again"))), "later ones join the same directory");
  }

  @Test
  void move_ofASymlinkOrADirectory_movesItWhole_withoutFollowing() throws IOException {
    Path objects = Files.createDirectories(dir.resolve("objects"));
    Path target = Files.write(dir.resolve("target"), utf8("target"));
    Path link = Files.createSymbolicLink(objects.resolve("link"), target);
    Path sub = Files.createDirectories(objects.resolve("xyz/deep"));
    Files.write(sub.resolve("f"), utf8("f"));
    Quarantine q = new Quarantine(objects, dir.resolve("quarantine"));

    Path movedLink = q.move(link);
    Path movedDir = q.move(objects.resolve("xyz"));

    assertTrue(Files.isSymbolicLink(movedLink));
    assertEquals(target, Files.readSymbolicLink(movedLink));
    assertArrayEquals(utf8("target"), Files.readAllBytes(target));
    assertArrayEquals(utf8("f"), Files.readAllBytes(movedDir.resolve("deep/f")));
    assertFalse(Files.exists(objects.resolve("xyz"), LinkOption.NOFOLLOW_LINKS));
  }
}
