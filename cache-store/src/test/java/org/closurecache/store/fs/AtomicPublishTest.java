package org.closurecache.store.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.closurecache.store.fs.AtomicPublish.Outcome;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class AtomicPublishTest {
  @TempDir Path dir;
  private Path tmp;

  @BeforeEach
  void tmp() throws IOException {
    tmp = Files.createDirectories(dir.resolve("tmp"));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void write_makesAReadOnlyFileWithExactlyTheContent_creatingItsDirectory() throws IOException {
    Path target = dir.resolve("new/sub/file");

    assertEquals(Outcome.CREATED, AtomicPublish.write(target, tmp, false, utf8("content")));

    assertArrayEquals(utf8("content"), Files.readAllBytes(target));
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    assertEquals(List.of(), list(tmp), "no temp file left");
  }

  @Test
  void write_withReplace_replacesAnExistingTarget() throws IOException {
    Path target = dir.resolve("tag");
    AtomicPublish.write(target, tmp, true, utf8("one"));

    assertEquals(Outcome.CREATED, AtomicPublish.write(target, tmp, true, out -> out.write(utf8("two"))));

    assertArrayEquals(utf8("two"), Files.readAllBytes(target));
    assertEquals(List.of(), list(tmp));
  }

  @Test
  void write_withoutReplace_keepsAnExistingTarget_andDeletesItsTemp() throws IOException {
    Path target = dir.resolve("object");
    AtomicPublish.write(target, tmp, false, utf8("first"));

    assertEquals(Outcome.ALREADY_PRESENT, AtomicPublish.write(target, tmp, false, utf8("second")));

    assertArrayEquals(utf8("first"), Files.readAllBytes(target));
    assertEquals(List.of(), list(tmp));
  }

  @Test
  void write_whenTheContentCallbackThrows_leavesNoTempFileAndNoTarget() throws IOException {
    Path target = dir.resolve("d/never");
    IOException failure = new IOException("the writer failed midway");

    IOException e = assertThrows(IOException.class, () -> AtomicPublish.write(target, tmp, false, out -> {
      out.write(new byte[10_000]);
      throw failure;
    }));
    assertSame(failure, e);
    IllegalStateException bug = assertThrows(IllegalStateException.class,
        () -> AtomicPublish.write(target, tmp, true, out -> {
          throw new IllegalStateException("a bug in the writer");
        }));
    assertEquals("a bug in the writer", bug.getMessage());

    assertEquals(List.of(), list(tmp));
    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void publish_ofAPreparedTemp_createsTheTarget_thenReportsAlreadyPresentAndDeletesTheNextTemp() throws IOException {
    Path target = dir.resolve("objects/ab/abcd");
    Path first = Files.write(tmp.resolve("one.tmp"), utf8("same"));
    Path second = Files.write(tmp.resolve("two.tmp"), utf8("same"));

    assertEquals(Outcome.CREATED, AtomicPublish.publish(first, target));
    assertEquals(Outcome.ALREADY_PRESENT, AtomicPublish.publish(second, target));

    assertArrayEquals(utf8("same"), Files.readAllBytes(target));
    assertEquals(List.of(), list(tmp));
  }

  @Test
  void move_reportsTheDirectoriesItChanged_alsoWhenTheTargetWasThere() throws IOException {
    Path shard = dir.resolve("objects/ab");
    Files.createDirectories(dir.resolve("objects"));
    Set<Path> touched = new LinkedHashSet<>();

    assertEquals(Outcome.CREATED, AtomicPublish.move(Files.write(tmp.resolve("a"), utf8("x")),
        shard.resolve("abcd"), touched));
    assertEquals(List.of(dir.resolve("objects"), shard), new ArrayList<>(touched),
        "a new shard directory: its parent's entry changed too");

    Set<Path> again = new LinkedHashSet<>();
    Path temp = Files.write(tmp.resolve("b"), utf8("x"));
    assertEquals(Outcome.ALREADY_PRESENT, AtomicPublish.move(temp, shard.resolve("abcd"), again));
    assertEquals(List.of(shard), new ArrayList<>(again), "the name may not be durable yet: sync its directory");
    assertFalse(Files.exists(temp));
    AtomicPublish.syncAll(touched);
  }

  @Test
  void move_whenTheTempIsGone_throwsAndCreatesNoTarget() throws IOException {
    Path target = dir.resolve("objects/ab/abcd");
    assertThrows(IOException.class, () -> AtomicPublish.move(tmp.resolve("vanished"), target, new LinkedHashSet<>()));
    assertFalse(Files.exists(target));
  }

  @Test
  @Timeout(60)
  void concurrentPublishersOfOneName_allSucceed_andLeaveOneFileAndNoTemps() throws Exception {
    int threads = 8;
    int rounds = 20;
    byte[] content = new byte[64 << 10];
    new Random(5).nextBytes(content);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < rounds; round++) {
        Path target = dir.resolve("objects/" + round + "/object");
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<Outcome>> outcomes = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          boolean viaPublish = t % 2 == 0;
          outcomes.add(pool.submit(() -> {
            Path temp = null;
            if (viaPublish) {
              temp = Files.createTempFile(tmp, "obj-", ".tmp");
              Files.write(temp, content);
            }
            start.await(10, TimeUnit.SECONDS);
            return viaPublish
                ? AtomicPublish.publish(temp, target)
                : AtomicPublish.write(target, tmp, false, content);
          }));
        }
        int created = 0;
        for (Future<Outcome> f : outcomes) {
          if (f.get(30, TimeUnit.SECONDS) == Outcome.CREATED) {
            created++;
          }
        }
        assertTrue(created >= 1, "round " + round + ": nobody created it");
        assertArrayEquals(content, Files.readAllBytes(target));
        assertEquals(List.of(target), list(target.getParent()));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), list(tmp));
  }

  private static List<Path> list(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.sorted().toList();
    }
  }
}
