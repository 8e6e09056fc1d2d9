package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.closurecache.client.cli.CacheClientMain;
import org.closurecache.client.running.RunningHolderMain;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The admin front ends of a node (warm, pin, ls, fsck, gc, export) against a real master. */
class CliFrontEndsTest {
  @TempDir Path dir;
  Node node;
  CacheServer master;
  Path cache;

  @BeforeEach
  void start() throws Exception {
    node = new Node(dir);
    master = node.master("master");
    cache = dir.resolve("cache");
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private String publish(String tag, String... program) {
    Node.Run r = node.publish(master, tag, program);
    assertEquals(0, r.status(), r.err());
    return r.lastLine();
  }

  private Node.Run run(String command, String... rest) {
    List<String> args = new ArrayList<>(List.of(command, "--master", master.baseUrl(), "--cache", cache.toString(),
        "--trust", node.pub.toString()));
    args.addAll(List.of(rest));
    return Node.cli(args.toArray(new String[0]));
  }

  private Node.Run ok(String command, String... rest) {
    Node.Run r = run(command, rest);
    assertEquals(0, r.status(), () -> command + " failed: " + r.err() + r.out());
    return r;
  }

  private JsonNode ls() throws Exception {
    Node.Run r = ok("ls", "--json");
    return CanonicalJson.parse(r.out().strip().getBytes(StandardCharsets.UTF_8), 1 << 20, "ls");
  }

  private JsonNode closure(String manifest) throws Exception {
    for (JsonNode c : ls()) {
      if (c.get("manifest").textValue().equals(manifest)) {
        return c;
      }
    }
    throw new AssertionError(manifest + " not listed: " + ls());
  }

  private List<Path> objectFiles() throws Exception {
    try (Stream<Path> s = Files.walk(cache.resolve("objects"))) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  @Test
  void warm_pinFromAListFile_skippingCommentsAndBlankLines() throws Exception {
    String t = publish("true", "/bin/true");
    String echo = publish(null, "/bin/echo", "hi");
    Path list = dir.resolve("warm.list");
    Files.writeString(list, "# node warm list\n\n   \n  true  \n# echo by digest:\n" + echo + "\n");
    Node.Run r = ok("warm", "--pin", "--file", list.toString());
    List<String> lines = r.out().strip().lines().toList();
    assertEquals(2, lines.size(), r.out());
    assertTrue(lines.get(0).startsWith(t + " (true): "), lines.get(0));
    assertTrue(lines.get(1).startsWith(echo + ": "), lines.get(1));
    for (String m : List.of(t, echo)) {
      assertTrue(closure(m).get("complete").booleanValue(), m);
      assertTrue(closure(m).get("pinned").booleanValue(), m);
    }
    Node.Run gc = ok("gc", "--max-size", "0");
    assertTrue(gc.out().startsWith("evicted 0 closures"), gc.out());
    assertEquals(2, ls().size());

    Path empty = dir.resolve("empty.list");
    Files.writeString(empty, "# nothing\n\n");
    Node.Run none = run("warm", "--file", empty.toString());
    assertEquals(1, none.status());
    assertEquals("warm: nothing to warm: give REFs or --file LIST", none.err().strip());
  }

  @Test
  void pinAndUnpin_byTagAndByDigest_unknownTagIsNamed() throws Exception {
    String t = publish("true", "/bin/true");
    ok("pull", "true");
    Node.Run pin = ok("pin", "true");
    assertEquals("pinned " + t, pin.out().strip());
    assertTrue(closure(t).get("pinned").booleanValue());
    Node.Run unpin = ok("unpin", t);
    assertEquals("unpinned " + t, unpin.out().strip());
    assertFalse(closure(t).get("pinned").booleanValue());
    ok("pin", t);
    assertTrue(closure(t).get("pinned").booleanValue());
    ok("unpin", "true");
    assertFalse(closure(t).get("pinned").booleanValue());

    Node.Run unknown = run("pin", "no-such-tag");
    assertEquals(1, unknown.status());
    assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
    assertTrue(unknown.err().startsWith("pin: ") && unknown.err().contains("\"no-such-tag\""), unknown.err());
    String absent = "sha256:" + "0".repeat(64);
    Node.Run unknownDigest = run("unpin", absent);
    assertEquals(1, unknownDigest.status());
    assertTrue(unknownDigest.err().startsWith("unpin: ") && unknownDigest.err().contains(absent), unknownDigest.err());
  }

  @Test
  void ls_textAndJson() throws Exception {
    String t = publish("true", "/bin/true");
    String echo = publish(null, "/bin/echo", "hi");
    ok("pull", "true");
    ok("pull", echo);
    ok("pin", echo);
    Node.Run text = ok("ls");
    List<String> lines = text.out().strip().lines().toList();
    assertEquals(3, lines.size(), text.out());
    String trueLine = lines.stream().filter(l -> l.startsWith(t)).findFirst().orElseThrow();
    assertTrue(trueLine.contains(" complete ") && trueLine.contains(" 3 objects ") && trueLine.endsWith("/bin/true  [true]"),
        trueLine);
    assertFalse(trueLine.contains("pinned"), trueLine);
    String echoLine = lines.stream().filter(l -> l.startsWith(echo)).findFirst().orElseThrow();
    assertTrue(echoLine.contains(" complete pinned ") && echoLine.endsWith("/bin/echo"), echoLine);
    int objects = objectFiles().size();
    assertTrue(lines.get(2).matches("2 closures, " + objects + " objects, [0-9.]+ MiB"), lines.get(2));

    JsonNode json = ls();
    assertEquals(2, json.size());
    JsonNode tj = closure(t);
    assertEquals("/bin/true", tj.get("entry").textValue());
    assertEquals(3, tj.get("objects").intValue());
    assertTrue(tj.get("bytes").longValue() > 1 << 20, tj.toString());
    assertTrue(tj.get("complete").booleanValue());
    assertFalse(tj.get("pinned").booleanValue());
    assertEquals("true", tj.get("tags").get(0).textValue());
    assertTrue(java.time.Instant.parse(tj.get("lastUsed").textValue()).isAfter(java.time.Instant.now().minusSeconds(600)));
    assertTrue(closure(echo).get("pinned").booleanValue());
    assertEquals(0, closure(echo).get("tags").size());

    Node.Run missing = Node.cli("ls", "--cache", dir.resolve("no-cache").toString());
    assertEquals(1, missing.status());
    assertTrue(missing.err().startsWith("ls: ") && missing.err().contains("no-cache"), missing.err());
  }

  /** Deletes one object file and overwrites another; answers them. */
  private List<Path> damage() throws Exception {
    List<Path> files = objectFiles();
    assertTrue(files.size() >= 3, files::toString);
    Path gone = files.get(0);
    Path bad = files.get(1);
    Files.delete(gone);
    Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(bad, "not the object any more");
    return List.of(gone, bad);
  }

  @Test
  void fsckRepair_refetchesLostAndCorruptObjects_andTheClosureIsCompleteAgain() throws Exception {
    String t = publish("true", "/bin/true");
    ok("pull", "true");
    List<Path> damaged = damage();
    Node.Run repair = run("fsck", "--repair");
    assertEquals(0, repair.status(), repair.err() + repair.out());
    assertTrue(repair.out().contains("1 corrupt (quarantined), 1 files missing"), repair.out());
    assertTrue(repair.out().contains("repaired " + t), repair.out());
    assertTrue(repair.out().contains("refetched 2 objects"), repair.out());
    for (Path p : damaged) {
      assertTrue(Files.isRegularFile(p), p + " is back");
    }
    try (Stream<Path> q = Files.list(cache.resolve("quarantine"))) {
      assertEquals(1, q.count(), "the corrupt file is kept in quarantine");
    }
    assertTrue(closure(t).get("complete").booleanValue());
    Node.Run check = ok("fsck");
    assertTrue(check.out().contains("0 corrupt (quarantined), 0 files missing"), check.out());
    ok("export", "true", "-o", dir.resolve("true.tar").toString());
  }

  @Test
  void indexDamaged_pullSaysToRebuild_fsckRebuildIndexRestoresIt_andThePullAfterFetchesNothing() throws Exception {
    String t = publish("true", "/bin/true");
    ok("pull", "true");
    ok("pin", "true");
    Files.writeString(cache.resolve("index/CURRENT"), "not a manifest name\n");

    Node.Run broken = run("pull", "true");
    assertEquals(1, broken.status(), broken.err() + broken.out());
    assertEquals(1, broken.err().strip().lines().count(), broken.err());
    assertTrue(broken.err().contains("is damaged") && broken.err().contains("fsck --rebuild-index"), broken.err());

    Node.Run rebuild = run("fsck", "--rebuild-index");
    assertEquals(0, rebuild.status(), rebuild.err() + rebuild.out());
    assertTrue(rebuild.out().contains("1 manifests (1 complete), 1 pins, 1 tags"), rebuild.out());
    assertTrue(rebuild.out().contains("old index moved to " + cache.resolve("index.broken-")), rebuild.out());

    Node.Run again = ok("pull", "--json", "true");
    JsonNode r = CanonicalJson.parse(again.out().strip().getBytes(StandardCharsets.UTF_8), 1 << 20, "pull").get(0);
    assertEquals(0, r.get("fetched").intValue(), again.out());
    assertTrue(closure(t).get("pinned").booleanValue());
    assertTrue(closure(t).get("complete").booleanValue());
  }

  @Test
  void fsckThenFsckRepair_stillRepairs() throws Exception {
    String t = publish("true", "/bin/true");
    ok("pull", "true");
    damage();
    Node.Run first = run("fsck");
    assertEquals(1, first.status(), first.out());
    assertTrue(first.out().contains("1 closures incomplete"), first.out());
    assertFalse(closure(t).get("complete").booleanValue());
    // the admin saw the problem and now asks for the repair
    Node.Run repair = run("fsck", "--repair");
    assertEquals(0, repair.status(), repair.err() + repair.out());
    assertTrue(repair.out().contains("repaired " + t), repair.out());
    assertTrue(closure(t).get("complete").booleanValue(), repair.out());
    ok("fsck");
  }

  @Test
  void gc_withoutMaxSizeOrQuota_failsWithAClearMessage_andUsesTheQuotaWhenSet() throws Exception {
    String t = publish("true", "/bin/true");
    ok("pull", "true");
    Path emptyConfig = dir.resolve("empty.properties");
    Files.writeString(emptyConfig, "");
    Node.Run r = run("gc", "--config", emptyConfig.toString());
    assertEquals(1, r.status());
    assertEquals("gc: give --max-size SIZE or set a quota (CLOSURE_CACHE_QUOTA)", r.err().strip());
    assertEquals(1, ls().size());

    Path quota = dir.resolve("quota.properties");
    Files.writeString(quota, "quota = 0\n");
    Node.Run withQuota = ok("gc", "--config", quota.toString());
    assertTrue(withQuota.out().startsWith("evicted 1 closures"), withQuota.out());
    assertEquals(0, ls().size());
    assertEquals(List.of(), objectFiles());
    assertTrue(t.startsWith("sha256:"));
  }

  @Test
  void export_ofAnUnknownOrIncompleteRef_fails() throws Exception {
    String t = publish("true", "/bin/true");
    Path out = dir.resolve("b.tar");
    Node.Run unknownTag = run("export", "true", "-o", out.toString());
    assertEquals(1, unknownTag.status());
    assertTrue(unknownTag.err().startsWith("export: ") && unknownTag.err().contains("\"true\""), unknownTag.err());
    Node.Run unknownDigest = run("export", t, "-o", out.toString());
    assertEquals(1, unknownDigest.status());
    assertTrue(unknownDigest.err().contains(t), unknownDigest.err());

    ok("pull", "true");
    Files.delete(objectFiles().get(0));
    assertEquals(1, run("fsck").status());
    Node.Run incomplete = run("export", "true", "-o", out.toString());
    assertEquals(1, incomplete.status());
    assertTrue(incomplete.err().startsWith("export: ") && incomplete.err().contains("not complete"), incomplete.err());
    assertFalse(Files.exists(out), "no bundle is left behind");
    assertEquals(1, incomplete.err().strip().lines().count(), incomplete.err());
  }

  @Test
  void help_forEverySubcommand_exitsZero() {
    Set<String> names = new TreeSet<>(new CommandLine(new CacheClientMain()).getSubcommands().keySet());
    assertTrue(names.containsAll(List.of("closure", "keygen", "publish", "pull", "warm", "pin", "unpin", "ls", "fsck",
        "gc", "export", "import", "help")), names::toString);
    for (String name : names) {
      Node.Run r = Node.cli(name, "--help");
      assertEquals(0, r.status(), name + ": " + r.err());
      assertTrue(r.out().contains("Usage: cache-client " + name), name + ": " + r.out());
      assertEquals("", r.err(), name);
      if (!name.equals("help")) {
        Node.Run viaHelp = Node.cli("help", name);
        assertEquals(0, viaHelp.status(), name);
        assertEquals(r.out(), viaHelp.out(), name);
      }
    }
    Node.Run top = Node.cli("--help");
    assertEquals(0, top.status());
    assertTrue(top.out().contains("Exit status"), top.out());
  }

  @Test
  void publishTagTwice_movesTheTagToRevisionTwo() throws Exception {
    List<String> base = List.of("publish", "--master", master.baseUrl(), "--key", node.key.toString(),
        "--token-file", node.tokens.toString(), "--tag", "tool", "--");
    List<String> first = new ArrayList<>(base);
    first.add("/bin/true");
    Node.Run one = Node.cli(first.toArray(new String[0]));
    assertEquals(0, one.status(), one.err());
    assertTrue(one.err().contains("; tag tool at revision 1"), one.err());
    List<String> second = new ArrayList<>(base);
    second.addAll(List.of("/bin/echo", "hi"));
    Node.Run two = Node.cli(second.toArray(new String[0]));
    assertEquals(0, two.status(), two.err());
    assertTrue(two.err().contains("; tag tool at revision 2"), two.err());
    assertTrue(two.err().contains("published 3 objects ("), two.err());
    assertFalse(one.lastLine().equals(two.lastLine()));
    Node.Run pull = ok("pull", "--json", "tool");
    assertTrue(pull.out().contains("\"manifest\":\"" + two.lastLine() + "\""), pull.out());
  }

  @Test
  void gc_keepsTheClosureAJobRunsInAnotherProcess_andEvictsTheIdleOne() throws Exception {
    String t = publish("true", "/bin/true");
    String echo = publish(null, "/bin/echo", "hi");
    ok("pull", "true");
    ok("pull", echo);
    Path stderr = dir.resolve("job.err");
    Process job = new ProcessBuilder(Node.javaCommand(RunningHolderMain.class.getName(), List.of(cache.toString(), echo)))
        .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(job.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      assertEquals("running", first, "job stderr: " + Files.readString(stderr));
      Node.Run gc = ok("gc", "--max-size", "0");
      assertTrue(gc.out().startsWith("evicted 1 closures"), gc.out());
      JsonNode left = ls();
      assertEquals(1, left.size(), left.toString());
      assertEquals(echo, left.get(0).get("manifest").textValue());
      assertTrue(left.get(0).get("complete").booleanValue());
      ok("fsck");
    } finally {
      job.destroyForcibly();
      assertTrue(job.waitFor(30, TimeUnit.SECONDS));
    }
    // the job is gone: now the closure can go too
    Node.Run gc = ok("gc", "--max-size", "0");
    assertTrue(gc.out().startsWith("evicted 1 closures"), gc.out());
    assertEquals(0, ls().size());
    assertTrue(t.startsWith("sha256:"));
  }
}
