package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publish real programs to a real master and pull them into an empty node cache. */
class PublishPullTest {
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

  static JsonNode summary(Node.Run r) throws Exception {
    assertEquals(0, r.status(), r.err());
    return CanonicalJson.parse(r.out().strip().getBytes(StandardCharsets.UTF_8), 1 << 20, "summary").get(0);
  }

  @Test
  void publishTwice_uploadsNothingTheSecondTime() throws Exception {
    Node.Run first = node.publish(master, null, "/usr/bin/git", "--version");
    assertEquals(0, first.status(), first.err());
    String digest = first.lastLine();
    assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);
    long stored = master.store().index().objectCount();
    Node.Run again = node.cli("publish", "--master", master.baseUrl(), "--key", node.key.toString(),
        "--token-file", node.tokens.toString(), "--", "/usr/bin/git", "--version");
    assertEquals(0, again.status(), again.err());
    assertEquals(digest, again.lastLine());
    assertTrue(again.err().contains("(0 uploaded"), again.err());
    assertEquals(stored, master.store().index().objectCount());
  }

  @Test
  void pull_fetchesTheClosureOnce_andADifferentOneOnlyForTheDifference() throws Exception {
    String git = node.publish(master, "git", "/usr/bin/git", "--version").lastLine();
    String perl = node.publish(master, null, "/usr/bin/perl", "-e", "1").lastLine();
    Path cache = dir.resolve("cache");

    JsonNode fresh = summary(node.pull(master.baseUrl(), cache, "git"));
    assertEquals(git, fresh.get("manifest").textValue());
    assertEquals(fresh.get("objects").intValue(), fresh.get("fetched").intValue());
    assertEquals(0, fresh.get("present").intValue());

    JsonNode warm = summary(node.pull(master.baseUrl(), cache, git));
    assertEquals(0, warm.get("fetched").intValue());

    JsonNode other = summary(node.pull(master.baseUrl(), cache, perl));
    int shared = other.get("present").intValue();
    assertTrue(shared >= 2, "perl and git share at least libc and the loader: " + other);
    assertEquals(other.get("objects").intValue() - shared, other.get("fetched").intValue());
    assertEquals(0, node.cli("fsck", "--cache", cache.toString()).status());

    Node.Run ls = node.cli("ls", "--json", "--cache", cache.toString());
    assertEquals(0, ls.status(), ls.err());
    assertTrue(ls.out().contains(git) && ls.out().contains(perl) && ls.out().contains("\"complete\":true"), ls.out());
  }

  @Test
  void pull_whenTheFirstMasterIsGone_completesFromTheSecond() throws Exception {
    CacheServer second = node.master("second");
    String git = node.publish(master, null, "/usr/bin/git", "--version").lastLine();
    assertEquals(git, node.publish(second, null, "/usr/bin/git", "--version").lastLine());
    String firstUrl = master.baseUrl();
    master.close();
    JsonNode r = summary(node.pull(firstUrl + "," + second.baseUrl(), dir.resolve("cache"), git));
    assertEquals(r.get("objects").intValue(), r.get("fetched").intValue());
    assertTrue(r.get("bytesByMaster").get(second.baseUrl()).longValue() > 0, r.toString());
  }

  @Test
  void pull_withAnUntrustedKey_isRefusedAndStoresNothing() throws Exception {
    String git = node.publish(master, null, "/usr/bin/git", "--version").lastLine();
    Node stranger = new Node(dir.resolve("stranger"));
    Path cache = dir.resolve("cache");
    Node.Run r = Node.cli("pull", "--master", master.baseUrl(), "--cache", cache.toString(),
        "--trust", stranger.pub.toString(), git);
    assertEquals(1, r.status());
    assertTrue(r.err().contains("not signed by a trusted key"), r.err());
    Node.Run ls = Node.cli("ls", "--json", "--cache", cache.toString());
    assertEquals("[]", ls.out().strip());
  }

  @Test
  void pull_ofATagOlderThanOneSeen_isRefusedAsARollback() throws Exception {
    CacheServer old = node.master("old");
    node.publish(old, "tool", "/usr/bin/git", "--version");
    node.publish(master, "tool", "/usr/bin/git", "--version");
    String second = node.publish(master, "tool", "/usr/bin/perl", "-e", "1").lastLine();
    Path cache = dir.resolve("cache");
    assertEquals(second, summary(node.pull(master.baseUrl(), cache, "tool")).get("manifest").textValue());
    Node.Run rollback = node.pull(old.baseUrl(), cache, "tool");
    assertEquals(1, rollback.status());
    assertTrue(rollback.err().contains("revision"), rollback.err());
  }

  @Test
  void pull_withoutTrust_orWithAMalformedRef_failsWithAOneLineReason() {
    Node.Run noTrust = Node.cli("pull", "--master", master.baseUrl(), "--cache", dir.resolve("c").toString(), "git");
    assertEquals(1, noTrust.status());
    assertTrue(noTrust.err().contains("--trust"), noTrust.err());
    Node.Run badRef = node.pull(master.baseUrl(), dir.resolve("c"), "sha256:nothex");
    assertEquals(2, badRef.status(), badRef.err()); // a malformed REF is bad usage (issue 9's Ref type)
    assertEquals(1, badRef.err().strip().lines().count(), badRef.err());
  }
}
