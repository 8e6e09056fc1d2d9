package org.closurecache.client.master;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which master serves when some are missing the object, refuse connections, answer 500, or come back. */
class MasterFailoverTest {
  @TempDir Path dir;
  MasterFixture first;
  MasterFixture second;
  byte[] content = MasterClientRoundTripTest.random(200_000, 7);
  Digest digest;

  @BeforeEach
  void start() throws Exception {
    first = new MasterFixture(dir.resolve("first"));
    second = new MasterFixture(dir.resolve("second"));
    digest = second.put(content); // the second store only
  }

  @AfterEach
  void stop() {
    first.close();
    second.close();
  }

  void assertFetchedFrom(MasterClient client, URI expected) throws Exception {
    Path target = Files.createTempFile(dir, "fetch", ".part");
    MasterClient.Fetched f = client.fetchObject(digest, content.length, target);
    assertEquals(expected, f.master());
    assertArrayEquals(content, Files.readAllBytes(target));
  }

  @Test
  void firstMasterLacksTheObject_fetchIsServedBySecond_andCountedForIt() throws Exception {
    try (MasterClient client = MasterClient.create(MasterFixture.options(List.of(first.url, second.url)))) {
      assertFetchedFrom(client, second.url);
      assertEquals(Map.of(first.url, 0L, second.url, (long) content.length), client.bytesByMaster());
    }
  }

  @Test
  void firstMasterIsAClosedPort_nextMasterServes() throws Exception {
    URI closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = URI.create("http://127.0.0.1:" + s.getLocalPort());
    }
    try (MasterClient client = MasterClient.create(MasterFixture.options(List.of(closed, second.url)))) {
      assertFetchedFrom(client, second.url);
      // one 404 and one master down is not "absent": the down one may have it
      MastersUnavailableException e = assertThrows(MastersUnavailableException.class,
          () -> client.getManifest(Digest.of(new byte[] {1})));
      assertTrue(e.getMessage().contains(closed + ": connection refused"), e.getMessage());
      assertTrue(e.getMessage().contains(second.url + ": 404 not-found"), e.getMessage());
    }
  }

  @Test
  void firstMasterAnswers500_nextMasterServes_andEveryMasterDownListsEach() throws Exception {
    HttpServer broken = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    broken.createContext("/", ex -> {
      ex.sendResponseHeaders(500, -1);
      ex.close();
    });
    broken.start();
    try {
      URI b = URI.create("http://127.0.0.1:" + broken.getAddress().getPort());
      try (MasterClient client = MasterClient.create(MasterFixture.options(List.of(b, second.url)))) {
        assertFetchedFrom(client, second.url);
        assertEquals(List.of(), client.missing(List.of(digest)));
      }
      second.close();
      try (MasterClient client = MasterClient.create(MasterFixture.options(List.of(b, second.url)))) {
        MastersUnavailableException e = assertThrows(MastersUnavailableException.class,
            () -> client.fetchObject(digest, content.length, dir.resolve("t")));
        assertEquals(4, e.failures().size(), e.getMessage()); // 2 rounds x 2 masters
        assertTrue(e.getMessage().contains(b + ": IOException: answered 500"), e.getMessage());
        assertTrue(e.getMessage().contains(second.url + ": connection refused"), e.getMessage());
      }
    } finally {
      broken.stop(0);
    }
  }

  @Test
  void preferredMaster_markedDown_isTriedFirstAgainAfterRetryPreferredAfter() throws Exception {
    first.put(content);
    TestClock clock = new TestClock();
    try (TestProxy preferred = new TestProxy(first.url);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(preferred.url, second.url)), clock)) {
      assertFetchedFrom(client, preferred.url);
      preferred.mode(TestProxy.Mode.FAIL, 1);
      assertFetchedFrom(client, second.url); // failed once: marked down
      int asked = preferred.objectGets.get();
      assertFetchedFrom(client, second.url); // still down: not even asked
      assertEquals(asked, preferred.objectGets.get());
      clock.advance(Duration.ofMillis(999));
      assertFetchedFrom(client, second.url);
      clock.advance(Duration.ofMillis(1));
      assertFetchedFrom(client, preferred.url); // 1 s later it is first again, and it is back
      assertFetchedFrom(client, preferred.url);
    }
  }
}
