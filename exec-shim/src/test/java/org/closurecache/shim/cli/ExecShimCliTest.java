package org.closurecache.shim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cache.Waiter;
import org.closurecache.core.cli.Cli;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code exec-shim} front end, in process: what it refuses before any launch work. */
class ExecShimCliTest {
  /** A digest one character short, and a tag name with a space and a slash. */
  private static final List<String> BAD_REFS = List.of("sha256:" + "0123456789abcdef".repeat(4).substring(1), "my tag/1");

  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Cli.run(new ExecShimMain(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(status, out.toString(), err.toString());
  }

  /**
   * {@code command} (then the cache, {@code before}, a bad REF) is bad usage: exit 2, one line
   * naming the value and the command's help, and the cache is never made.
   */
  private static void assertBadRefIsUsageError(Path dir, String command, String... before) {
    Path cache = dir.resolve("cache");
    for (String bad : BAD_REFS) {
      List<String> args = new ArrayList<>(List.of(command, "--cache", cache.toString()));
      args.addAll(List.of(before));
      args.add(bad);
      Run r = run(args.toArray(new String[0]));
      assertEquals(2, r.status(), r.err());
      List<String> lines = r.err().lines().toList();
      assertEquals(1, lines.size(), r.err());
      assertTrue(lines.get(0).startsWith(command + ": Invalid value for positional parameter"), lines.get(0));
      assertTrue(lines.get(0).contains('"' + bad + '"'), lines.get(0));
      assertTrue(lines.get(0).endsWith("(see 'exec-shim " + command + " --help')"), lines.get(0));
      assertEquals("", r.out());
    }
    assertFalse(Files.exists(cache), "nothing is written for a bad REF");
  }

  @Test
  void run_withBadRef_isAUsageErrorNamingIt_exit2(@TempDir Path dir) {
    assertBadRefIsUsageError(dir, "run", "--root", "host");
  }

  @Test
  void prepare_withOneBadRefAmongGoodOnes_isAUsageErrorNamingIt_exit2(@TempDir Path dir) {
    assertBadRefIsUsageError(dir, "prepare", "python", "sha256:" + "0123456789abcdef".repeat(4));
  }

  @Test
  void verify_withBadRef_isAUsageErrorNamingIt_exit2(@TempDir Path dir) {
    assertBadRefIsUsageError(dir, "verify", "--content");
  }

  @Test
  void verify_ofATag_checksTheViewOfWhatThisCacheLastPulledItAs(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("cache");
    Digest target = Digest.of("a manifest".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    try (NodeCache cache = NodeCache.open(root, Waiter.silent())) {
      cache.recordTag("tool", 1, target);
    }
    Run r = run("verify", "--cache", root.toString(), "tool");
    assertEquals(1, r.status(), r.err());
    assertEquals("verify: no view of " + target + " in " + root + "; exec-shim run builds it", r.err().strip());

    Run unknown = run("verify", "--cache", root.toString(), "other");
    assertEquals(1, unknown.status(), unknown.err());
    assertEquals("verify: this cache has not pulled tag \"other\"; pull it first or give a manifest digest",
        unknown.err().strip());
    assertTrue(Files.isDirectory(CacheLayout.at(root).indexDir()));
  }
}
