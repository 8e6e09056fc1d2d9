package org.closurecache.client.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.closurecache.server.http.CacheServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The messages a new user meets first: a wrong master URL, a master that is not running, bad flags. */
class FirstMessagesTest {
  @TempDir Path dir;
  Node node;
  CacheServer master;
  Path cache;

  @BeforeEach
  void start() throws Exception {
    node = new Node(dir);
    master = node.master("master");
    cache = dir.resolve("cache");
    Node.Run r = node.publish(master, "tool", "/bin/true");
    assertEquals(0, r.status(), r.err());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  static String oneLine(Node.Run r) {
    String err = r.err().strip();
    assertEquals(1, err.lines().count(), err);
    assertFalse(err.contains("Exception"), "no Java exception names: " + err);
    return err;
  }

  @Test
  void pull_whenTheMasterUrlHasAWrongPath_saysTheServerIsNotAMaster_notThatTheTagIsMissing() throws Exception {
    String wrongPrefix = master.baseUrl() + "/wrong/";
    Node.Run r = node.pull(wrongPrefix, cache, "tool");
    assertEquals(1, r.status(), r.out());
    String err = oneLine(r);
    assertTrue(err.contains(master.baseUrl() + "/wrong: not a closure-cache master"), err);
    assertFalse(err.contains("no tag"), err);

    // a web server that answers 404 with its own page, as nginx does at a path it does not serve
    HttpServer web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    web.createContext("/", exchange -> {
      byte[] page = "<html><body><h1>404 Not Found</h1></body></html>".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(404, page.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(page);
      }
    });
    web.start();
    try {
      String url = "http://127.0.0.1:" + web.getAddress().getPort() + "/closure";
      Node.Run nginx = node.pull(url, cache, "tool");
      assertEquals(1, nginx.status());
      String line = oneLine(nginx);
      assertTrue(line.contains(url + ": not a closure-cache master"), line);
      assertFalse(line.contains("no tag"), line);
    } finally {
      web.stop(0);
    }

    // the right URL and a typo'd tag: that is what "no tag" is for
    Node.Run typo = node.pull(master.baseUrl(), cache, "tol");
    assertEquals(1, typo.status());
    assertEquals("pull: no tag \"tol\" on any master", oneLine(typo));
    assertEquals(0, node.pull(master.baseUrl() + "/", cache, "tool").status());
  }

  @Test
  void pull_whenTheMasterRefusesConnections_saysSoInOneLine_namingTheMasterOnce() throws Exception {
    String closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = "http://127.0.0.1:" + s.getLocalPort();
    }
    Node.Run r = node.pull(closed, cache, "tool");
    assertEquals(1, r.status());
    String err = oneLine(r);
    assertEquals("pull: download of tag tool failed: " + closed + ": connection refused or unreachable"
        + " (check that the master runs and the network)", err);
  }

  @Test
  void badMasterUrl_orBadMaxSize_isAUsageError_namingTheValue_andTouchesNothing() throws Exception {
    for (String bad : List.of("ftp://127.0.0.1:7070", "http://", "127.0.0.1:7070", "garbage here", "http://h:99999",
        "http://h:1/?x=1", "http://h:1,http://h:1")) {
      for (String command : List.of("pull", "warm", "ls")) {
        Node.Run r = Node.cli(command, "--master", bad, "--cache", cache.toString(), "--trust", node.pub.toString(),
            "tool");
        if (command.equals("ls")) {
          r = Node.cli(command, "--master", bad, "--cache", cache.toString());
        }
        assertEquals(2, r.status(), command + " --master " + bad + ": " + r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        String first = r.err().strip();
        assertTrue(first.startsWith(command + ": --master: ") && first.contains(bad.split(",")[0].replaceAll("/?\\?.*", ""))
            && first.endsWith("(see 'cache-client " + command + " --help')"), command + ": " + first);
      }
    }
    assertFalse(Files.exists(cache), "no cache was created");

    Node.Run gc = Node.cli("gc", "--max-size", "12Q", "--cache", cache.toString());
    assertEquals(2, gc.status(), gc.err());
    assertEquals("gc: --max-size: not a size: '12Q' (examples: 4096, 512K, 64M, 4G) (see 'cache-client gc --help')",
        gc.err().strip());
    assertEquals(2, Node.cli("gc", "--max-size", "-1", "--cache", cache.toString()).status());
    assertFalse(Files.exists(cache), "no cache was created");
  }
}
