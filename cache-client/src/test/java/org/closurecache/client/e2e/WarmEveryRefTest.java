package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code warm} warms every ref it is given: a bad one is reported and the rest still warm. */
class WarmEveryRefTest {
  static final String ABSENT = "sha256:" + "0".repeat(64);

  @TempDir Path dir;
  Node node;
  CacheServer master;
  Path cache;
  String tool;
  String echo;

  @BeforeEach
  void start() throws Exception {
    node = new Node(dir);
    master = node.master("master");
    cache = dir.resolve("cache");
    Node.Run t = node.publish(master, "tool", "/bin/true");
    assertEquals(0, t.status(), t.err());
    tool = t.lastLine();
    Node.Run e = node.publish(master, null, "/bin/echo", "hi");
    assertEquals(0, e.status(), e.err());
    echo = e.lastLine();
  }

  @AfterEach
  void stop() {
    node.close();
  }

  Node.Run warm(String... rest) {
    List<String> args = new ArrayList<>(List.of("warm", "--master", master.baseUrl(), "--cache", cache.toString(),
        "--trust", node.pub.toString()));
    args.addAll(List.of(rest));
    return Node.cli(args.toArray(new String[0]));
  }

  JsonNode ls() throws Exception {
    Node.Run r = Node.cli("ls", "--json", "--cache", cache.toString());
    return CanonicalJson.parse(r.out().strip().getBytes(StandardCharsets.UTF_8), 1 << 20, "ls");
  }

  @Test
  void warm_withBadRefsAmongGoodOnes_warmsEveryGoodOne_reportsEachFailureOnce_andExitsOne() throws Exception {
    Node.Run r = warm("--pin", "no-such-tag", "tool", ABSENT, echo);
    assertEquals(1, r.status(), r.err());
    // stderr also carries each ref's progress lines; the failures are the "warm: " lines
    List<String> failures = r.err().strip().lines().filter(l -> l.startsWith("warm: ")).toList();
    assertEquals(List.of("warm: no-such-tag: no tag \"no-such-tag\" on any master",
        "warm: " + ABSENT + ": no manifest " + ABSENT + " on any master"), failures);
    List<String> done = r.out().strip().lines().toList();
    assertEquals(2, done.size(), r.out());
    assertTrue(done.get(0).startsWith(tool + " (tool): "), done.get(0));
    assertTrue(done.get(1).startsWith(echo + ": "), done.get(1));
    JsonNode closures = ls();
    assertEquals(2, closures.size(), closures.toString());
    for (JsonNode c : closures) {
      assertTrue(c.get("complete").booleanValue() && c.get("pinned").booleanValue(), c.toString());
    }
  }

  @Test
  void warmJson_printsASummaryOfEveryRef_okAndFailedWithReasons() throws Exception {
    Node.Run r = warm("--json", "tool", "no-such-tag", echo);
    assertEquals(1, r.status(), r.err());
    JsonNode summary = CanonicalJson.parse(r.out().strip().getBytes(StandardCharsets.UTF_8), 1 << 20, "warm");
    assertEquals(3, summary.size(), summary.toString());
    assertEquals("tool", summary.get(0).get("ref").textValue());
    assertTrue(summary.get(0).get("ok").booleanValue());
    assertEquals(tool, summary.get(0).get("manifest").textValue());
    assertEquals("no-such-tag", summary.get(1).get("ref").textValue());
    assertFalse(summary.get(1).get("ok").booleanValue());
    assertEquals("no tag \"no-such-tag\" on any master", summary.get(1).get("error").textValue());
    assertEquals(echo, summary.get(2).get("manifest").textValue());
    assertTrue(summary.get(2).get("ok").booleanValue());
    assertEquals(1, r.err().strip().lines().count(), r.err());

    Node.Run good = warm("--json", "tool", echo);
    assertEquals(0, good.status(), good.err());
    JsonNode all = CanonicalJson.parse(good.out().strip().getBytes(StandardCharsets.UTF_8), 1 << 20, "warm");
    assertEquals(2, all.size());
    assertTrue(all.get(0).get("ok").booleanValue() && all.get(1).get("ok").booleanValue(), all.toString());
    assertEquals("", good.err());

    Node.Run none = warm("--json", "no-such-tag", "also-missing");
    assertEquals(1, none.status());
    JsonNode failed = CanonicalJson.parse(none.out().strip().getBytes(StandardCharsets.UTF_8), 1 << 20, "warm");
    assertEquals(2, failed.size());
    assertFalse(failed.get(0).get("ok").booleanValue() || failed.get(1).get("ok").booleanValue(), failed.toString());
  }
}
