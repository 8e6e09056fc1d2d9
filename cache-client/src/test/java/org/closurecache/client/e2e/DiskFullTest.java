package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.closurecache.client.cli.CacheClientMain;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node cache on a small filesystem that fills up during a pull: each step runs as a real
 * {@code cache-client} process in a private mount namespace whose cache directory is a 6 MiB
 * tmpfs, so the host's filesystems are untouched and the tmpfs disappears with the namespace.
 */
class DiskFullTest {
  @TempDir Path dir;
  Node node;
  CacheServer master;

  @BeforeEach
  void start() throws Exception {
    node = new Node(dir);
    master = node.master("master");
  }

  @AfterEach
  void stop() {
    node.close();
  }

  /** Runs {@code command} with {@code sh -c}; answers its exit status and combined output. */
  private static Node.Run sh(String script, long seconds) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out;
    try (var in = p.getInputStream()) {
      out = in.readAllBytes();  // ends when the process (and everything it started) closes stdout
    }
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("sh -c did not finish within " + seconds + " s:\n" + new String(out, StandardCharsets.UTF_8));
    }
    return new Node.Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), "");
  }

  private static String q(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static String cli(List<String> args) {
    List<String> cmd = Node.javaCommand(CacheClientMain.class.getName(), args);
    cmd.add(1, "-Xmx256m");
    return String.join(" ", cmd.stream().map(DiskFullTest::q).toList());
  }

  @Test
  void pullIntoAFullCache_failsCleanly_leavesNoCorruptObject_andASmallPullStillFits() throws Exception {
    Node.Run probe = sh("unshare -m sh -c 'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs \"$d\" && umount \"$d\""
        + " && rmdir \"$d\"'", 30);
    assertEquals(0, probe.status(), "this test needs to mount a tmpfs in a private mount namespace"
        + " (unshare -m, as root); that failed here: " + probe.out());

    // python3 itself is 6.5 MiB: its closure cannot fit in a 6 MiB cache; /bin/true's (~2.5 MiB) can
    Node.Run big = node.publish(master, "big", "/usr/bin/python3", "-c", "pass");
    assertEquals(0, big.status(), big.err());
    Node.Run small = node.publish(master, "small", "/bin/true");
    assertEquals(0, small.status(), small.err());

    Path cache = Files.createDirectories(dir.resolve("cache"));
    List<String> common = List.of("--master", master.baseUrl(), "--cache", cache.toString(),
        "--trust", node.pub.toString());
    List<String> pullBig = new ArrayList<>(List.of("pull", "--json"));
    pullBig.addAll(common);
    pullBig.add("big");
    List<String> pullSmall = new ArrayList<>(List.of("pull", "--json"));
    pullSmall.addAll(common);
    pullSmall.add("small");
    List<String> fsck = new ArrayList<>(List.of("fsck", "--cache", cache.toString()));
    List<String> ls = new ArrayList<>(List.of("ls", "--cache", cache.toString()));
    String inner = "mount -t tmpfs -o size=6m tmpfs " + q(cache.toString()) + " || exit 99\n"
        + cli(pullBig) + " 2>&1; echo \"pull=$?\"\n"
        + "df -k " + q(cache.toString()) + "; du -ak " + q(cache.toString()) + "\n"
        + cli(fsck) + " 2>&1; echo \"fsck=$?\"\n"
        + cli(pullSmall) + " 2>&1; echo \"small=$?\"\n" + "df -k " + q(cache.toString()) + "; du -ak " + q(cache.toString()) + "\n"
        + cli(fsck) + " 2>&1; echo \"fsck2=$?\"\n"
        + cli(ls) + " 2>&1; echo \"ls=$?\"\n";
    Node.Run r = sh("unshare -m sh -c " + q(inner), 120);
    String out = r.out();
    assertEquals(0, r.status(), out);
    assertTrue(out.contains("\npull=1\n"), "the big pull must fail with status 1:\n" + out);
    List<String> lines = out.lines().toList();
    int pullStatus = lines.indexOf("pull=1");
    String pullMessage = String.join("\n", lines.subList(0, pullStatus));
    assertEquals(1, pullMessage.lines().count(), "one line of reason, got:\n" + out);
    assertTrue(pullMessage.startsWith("pull: ") && pullMessage.toLowerCase().contains("no space"),
        "the reason must say the cache's disk is full:\n" + out);
    assertTrue(out.contains("\nfsck=0\n"), "fsck after the failed pull must find the cache clean:\n" + out);
    assertTrue(out.contains("\nsmall=0\n"), "a closure that fits must still pull:\n" + out);
    assertTrue(out.contains("\nfsck2=0\n"), out);
    assertTrue(out.lines().anyMatch(l -> l.contains("[small]") && l.contains(" complete ")),
        "ls must show the small closure complete:\n" + out);
  }
}
