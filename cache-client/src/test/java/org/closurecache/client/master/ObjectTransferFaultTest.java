package org.closurecache.client.master;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Object transfers through proxies that corrupt, cut or stall: the target ends right or the call fails clearly. */
class ObjectTransferFaultTest {
  static final int SIZE = 4 << 20;
  @TempDir Path dir;
  MasterFixture master;
  byte[] content = MasterClientRoundTripTest.random(SIZE, 11);
  Digest digest;
  Path target;

  @BeforeEach
  void start() throws Exception {
    master = new MasterFixture(dir.resolve("m"));
    digest = master.put(content);
    target = dir.resolve("target.part");
  }

  @AfterEach
  void stop() {
    master.close();
  }

  @Test
  void putObject_ofA4MiBObjectTheMasterHas_returnsFalse_thoughTheMasterSkipsTheBody() throws Exception {
    Path file = Files.write(dir.resolve("big"), content);
    try (MasterClient client = MasterClient.create(MasterFixture.options(List.of(master.url)))) {
      for (int i = 0; i < 3; i++) {
        assertFalse(client.putObject(digest, file));
      }
    }
  }

  @Test
  void corruptedOnce_singleMaster_isRetried_andTheFileEndsRight() throws Exception {
    try (TestProxy p = new TestProxy(master.url).mode(TestProxy.Mode.CORRUPT, 1);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(p.url)))) {
      MasterClient.Fetched f = client.fetchObject(digest, SIZE, target);
      assertArrayEquals(content, Files.readAllBytes(target));
      assertEquals(2, p.objectGets.get());
      assertEquals(2L * SIZE, f.bytes()); // the corrupt copy was received, then discarded
      assertFalse(f.resumed());
    }
  }

  @Test
  void corruptingFirstMaster_fallsOverToTheSecond() throws Exception {
    try (TestProxy bad = new TestProxy(master.url).mode(TestProxy.Mode.CORRUPT, Integer.MAX_VALUE);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(bad.url, master.url)))) {
      MasterClient.Fetched f = client.fetchObject(digest, SIZE, target);
      assertEquals(master.url, f.master());
      assertArrayEquals(content, Files.readAllBytes(target));
    }
  }

  @Test
  void everyMasterCorrupts_isMastersUnavailable_namingTheMismatch_andLeavesNoBytes() throws Exception {
    try (TestProxy a = new TestProxy(master.url).mode(TestProxy.Mode.CORRUPT, Integer.MAX_VALUE);
        TestProxy b = new TestProxy(master.url).mode(TestProxy.Mode.CORRUPT, Integer.MAX_VALUE);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(a.url, b.url)))) {
      MastersUnavailableException e = assertThrows(MastersUnavailableException.class,
          () -> client.fetchObject(digest, SIZE, target));
      assertTrue(e.getMessage().contains("DigestMismatchException"), e.getMessage());
      assertTrue(e.getMessage().contains("expected " + digest), e.getMessage());
      assertEquals(0, Files.size(target));
      assertEquals(4, a.objectGets.get() + b.objectGets.get()); // bounded: 2 rounds x 2 masters
    }
  }

  @Test
  void firstMasterDiesMidTransfer_isResumedWithRangeFromTheNext() throws Exception {
    long cut = 1_500_000;
    try (TestProxy dying = new TestProxy(master.url).mode(TestProxy.Mode.CUT, 1).cutAfter(cut);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(dying.url, master.url)))) {
      MasterClient.Fetched f = client.fetchObject(digest, SIZE, target);
      assertArrayEquals(content, Files.readAllBytes(target));
      assertTrue(f.resumed());
      assertEquals(master.url, f.master());
      long fromDying = client.bytesByMaster().get(dying.url);
      assertTrue(fromDying > 0 && fromDying <= cut, "bytes from the dying master: " + fromDying);
      assertEquals(SIZE - fromDying, client.bytesByMaster().get(master.url)); // only the rest was fetched
      assertEquals(SIZE, f.bytes());
    }
  }

  @Test
  void firstMasterSendsACorruptPrefixThenDrops_isRefetchedFromByteZero_andTheFirstIsBlamed() throws Exception {
    long cut = 1_500_000;
    TestClock clock = new TestClock();
    try (TestProxy liar = new TestProxy(master.url).mode(TestProxy.Mode.CORRUPT_CUT, Integer.MAX_VALUE).cutAfter(cut);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(liar.url, master.url)), clock)) {
      MasterClient.Fetched f = client.fetchObject(digest, SIZE, target);
      assertArrayEquals(content, Files.readAllBytes(target));
      assertEquals(master.url, f.master());
      assertFalse(f.resumed(), "the honest master's whole copy, not the bad prefix plus its rest");
      long fromLiar = client.bytesByMaster().get(liar.url);
      assertTrue(fromLiar > 0 && fromLiar <= cut, "bytes from the lying proxy: " + fromLiar);
      assertEquals(SIZE - fromLiar + SIZE, client.bytesByMaster().get(master.url)); // the rest, then all of it
      assertEquals(1, liar.objectGets.get());

      // the liar was marked down, not the honest master: the next fetch does not ask it
      MasterClient.Fetched again = client.fetchObject(digest, SIZE, dir.resolve("again.part"));
      assertEquals(master.url, again.master());
      assertEquals(1, liar.objectGets.get());
    }
  }

  @Test
  void resumedObjectMismatch_whenTheResumingMastersOwnCopyIsBadToo_blamesIt_andTheFileIsEmptied() throws Exception {
    try (TestProxy cutting = new TestProxy(master.url).mode(TestProxy.Mode.CUT, 1).cutAfter(1_000_000);
        TestProxy corrupting = new TestProxy(master.url).mode(TestProxy.Mode.CORRUPT, Integer.MAX_VALUE);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(cutting.url, corrupting.url))
            .withAttempts(1))) {
      MastersUnavailableException e = assertThrows(MastersUnavailableException.class,
          () -> client.fetchObject(digest, SIZE, target));
      assertTrue(e.getMessage().contains(corrupting.url + ": DigestMismatchException"), e.getMessage());
      assertEquals(2, corrupting.objectGets.get(), "the resumed rest, then a whole copy from byte 0");
      assertEquals(0, Files.size(target));
    }
  }

  @Test
  void cutTransfer_singleMaster_isResumedFromTheSameMaster() throws Exception {
    try (TestProxy p = new TestProxy(master.url).mode(TestProxy.Mode.CUT, 1).cutAfter(1_000_000);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(p.url)))) {
      MasterClient.Fetched f = client.fetchObject(digest, SIZE, target);
      assertArrayEquals(content, Files.readAllBytes(target));
      assertTrue(f.resumed());
      assertEquals(SIZE, f.bytes());
    }
  }

  @Test
  void stalledMaster_isGivenUpAfterStallTimeout_andTheNextServes() throws Exception {
    try (TestProxy stalled = new TestProxy(master.url).mode(TestProxy.Mode.STALL, 1);
        MasterClient client = MasterClient.create(MasterFixture.options(List.of(stalled.url, master.url)))) {
      long t0 = System.nanoTime();
      MasterClient.Fetched f = client.fetchObject(digest, SIZE, target);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertArrayEquals(content, Files.readAllBytes(target));
      assertEquals(master.url, f.master());
      assertTrue(f.resumed()); // the few bytes before the stall were kept
      assertTrue(ms >= 900 && ms < 5_000, "took " + ms + " ms with a 1 s stall limit");
    }
  }
}
