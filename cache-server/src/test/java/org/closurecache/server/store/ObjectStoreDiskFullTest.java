package org.closurecache.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@link DiskFullChild} on a 16 MiB tmpfs mounted in a private mount namespace ({@code
 * unshare -m}), so a real ENOSPC hits the put. Skipped where mount namespaces are unavailable.
 */
class ObjectStoreDiskFullTest {
  private static final String TMPFS_SIZE = "16m";
  private static final int OBJECT_SIZE = 24 << 20;

  @TempDir Path dir;

  @Test
  void put_whenFilesystemFills_deletesTempIndexesNothingAndStaysUsable() throws Exception {
    assertTrue(canMountTmpfs(), "unshare -m with a tmpfs mount is not permitted here");
    List<String> cmd = new ArrayList<>(List.of("unshare", "-m", "sh", "-c",
        "mount -t tmpfs -o size=" + TMPFS_SIZE + " tmpfs \"$0\" && exec \"$@\"",
        dir.toString()));
    cmd.addAll(ChildJvm.command(DiskFullChild.class, dir.toString(), Integer.toString(OBJECT_SIZE)));
    Process child = ChildJvm.start(cmd);
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child hung");
    System.out.print("[store] disk-full child: " + out);
    assertTrue(out.contains("RESULT ok"), out);
    assertEquals(0, child.exitValue(), out);
  }

  private static boolean canMountTmpfs() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("unshare", "-m", "sh", "-c",
          "d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs \"$d\"; r=$?; umount \"$d\"; rmdir \"$d\"; exit $r")
          .redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException noUnshare) {
      return false;
    }
  }
}
