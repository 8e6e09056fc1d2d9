package org.closurecache.client.master;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every call against one real master: what it stores, what it answers, what it refuses. */
class MasterClientRoundTripTest {
  @TempDir Path dir;
  MasterFixture master;
  MasterClient client;

  @BeforeEach
  void start() throws Exception {
    master = new MasterFixture(dir.resolve("m"));
    client = MasterClient.create(MasterFixture.options(List.of(master.url)));
  }

  @AfterEach
  void stop() {
    client.close();
    master.close();
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void putObject_thenMissingAndFetch_roundTrip_andSecondPutReturnsFalse() throws Exception {
    byte[] a = random(300_000, 1);
    byte[] b = random(10, 2);
    Digest da = Digest.of(a);
    Digest db = Digest.of(b);
    assertEquals(List.of(da, db), client.missing(List.of(da, db)));
    Path file = Files.write(dir.resolve("a"), a);
    assertTrue(client.putObject(da, file));
    assertFalse(client.putObject(da, file));
    assertEquals(List.of(db), client.missing(List.of(da, db)));

    Path target = dir.resolve("a.part");
    MasterClient.Fetched f = client.fetchObject(da, a.length, target);
    assertArrayEquals(a, Files.readAllBytes(target));
    assertEquals(new MasterClient.Fetched(master.url, a.length, false), f);
    assertEquals(a.length, client.bytesByMaster().get(master.url));
  }

  @Test
  void fetchObject_fromAPoolOfThreads_countsEveryByte() throws Exception {
    List<byte[]> objects = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      objects.add(random(100_000 + i, 100 + i));
      master.put(objects.get(i));
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<byte[]>> got = new ArrayList<>();
      for (int i = 0; i < objects.size(); i++) {
        byte[] o = objects.get(i);
        Path t = dir.resolve("p" + i);
        got.add(pool.submit(() -> {
          client.fetchObject(Digest.of(o), o.length, t);
          return Files.readAllBytes(t);
        }));
      }
      long total = 0;
      for (int i = 0; i < objects.size(); i++) {
        assertArrayEquals(objects.get(i), got.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS));
        total += objects.get(i).length;
      }
      assertEquals(total, client.bytesByMaster().get(master.url));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void missing_over10000Digests_isBatched_andKeepsOrder() throws Exception {
    List<Digest> asked = new ArrayList<>();
    for (int i = 0; i < 20_005; i++) {
      asked.add(Digest.of(("object " + i).getBytes(StandardCharsets.UTF_8)));
    }
    master.put("object 3".getBytes(StandardCharsets.UTF_8));
    master.put("object 20004".getBytes(StandardCharsets.UTF_8));
    List<Digest> expected = new ArrayList<>(asked);
    expected.remove(20_004);
    expected.remove(3);
    assertEquals(expected, client.missing(asked));
    assertEquals(List.of(), client.missing(List.of()));
  }

  @Test
  void signedManifestAndTag_roundTrip_staleTagIsRefused() throws Exception {
    byte[] content = "#!/bin/true\n".getBytes(StandardCharsets.UTF_8);
    master.put(content);
    SignedManifest m = SignedManifest.sign(MasterFixture.manifestOf(content), master.signer);
    Digest md = m.manifestDigest();
    assertEquals(Optional.empty(), client.getManifest(md));
    assertTrue(client.putManifest(md, m.toBytes()));
    assertFalse(client.putManifest(md, m.toBytes()));
    assertArrayEquals(m.toBytes(), client.getManifest(md).orElseThrow());

    assertEquals(Optional.empty(), client.getTag("app"));
    TagRecord r1 = TagRecord.first("app", md, Instant.parse("2026-01-01T00:00:00Z"));
    byte[] t1 = SignedTag.sign(r1, master.signer).toBytes();
    byte[] t2 = SignedTag.sign(r1.next(md, Instant.parse("2026-01-02T00:00:00Z")), master.signer).toBytes();
    assertTrue(client.putTag("app", t1));
    assertArrayEquals(t1, client.getTag("app").orElseThrow());
    assertFalse(client.putTag("app", t2));
    assertArrayEquals(t2, client.getTag("app").orElseThrow());
    MasterRefusedException stale = assertThrows(MasterRefusedException.class, () -> client.putTag("app", t1));
    assertEquals(409, stale.status());
    assertEquals("stale-revision", stale.code());
    assertTrue(stale.body().contains("stale-revision"), stale.body());
  }

  @Test
  void manifestSignedByAnUnknownKey_isRefused403() throws Exception {
    byte[] content = "x".getBytes(StandardCharsets.UTF_8);
    master.put(content);
    SignedManifest m = SignedManifest.sign(MasterFixture.manifestOf(content),
        org.closurecache.core.sign.Signer.of(org.closurecache.core.sign.Ed25519KeyPair.generate()));
    MasterRefusedException e = assertThrows(MasterRefusedException.class,
        () -> client.putManifest(m.manifestDigest(), m.toBytes()));
    assertEquals(403, e.status());
    assertEquals("untrusted-key", e.code());
    assertTrue(e.getMessage().contains("--publisher-key"), e.getMessage());
    assertFalse(e.getMessage().contains("token"), "a signing-key refusal is not about credentials: " + e.getMessage());
  }

  @Test
  void wrongToken_isRefused401_readToken_isRefused403_onUpload() throws Exception {
    Path file = Files.write(dir.resolve("o"), random(1000, 3));
    Digest d = Digest.of(Files.readAllBytes(file));
    for (String[] c : new String[][] {{"not-a-known-token", "401", "unauthorized"},
        {MasterFixture.READ_TOKEN, "403", "forbidden"}}) {
      MasterOptions o = MasterFixture.options(List.of(master.url));
      try (MasterClient other = MasterClient.create(new MasterOptions(o.masters(), Optional.of(c[0]),
          o.connectTimeout(), o.requestTimeout(), o.stallTimeout(), o.retryPreferredAfter(), o.attempts()))) {
        MasterRefusedException e = assertThrows(MasterRefusedException.class, () -> other.putObject(d, file));
        assertEquals(Integer.parseInt(c[1]), e.status());
        assertEquals(c[2], e.code());
        assertEquals(c[2].equals("forbidden"), e.getMessage().contains("uploads need a write token"), e.getMessage());
      }
    }
    assertEquals(List.of(d), client.missing(List.of(d)));
  }

  @Test
  void putObject_underTheWrongDigest_isRefused400DigestMismatch() throws Exception {
    Path file = Files.write(dir.resolve("o"), random(1000, 4));
    Digest wrong = Digest.of(new byte[] {1});
    MasterRefusedException e = assertThrows(MasterRefusedException.class, () -> client.putObject(wrong, file));
    assertEquals(400, e.status());
    assertEquals("digest-mismatch", e.code());
  }

  @Test
  void fetchObject_nowhere_isNotFoundOnAnyMaster() throws Exception {
    Digest d = Digest.of(new byte[] {42});
    MasterRefusedException e = assertThrows(MasterRefusedException.class,
        () -> client.fetchObject(d, 1, dir.resolve("t")));
    assertEquals(404, e.status());
    assertTrue(e.getMessage().contains("not found on any master"), e.getMessage());
  }

  @Test
  void fetchObject_resumesFromAPrefixAlreadyInTheTarget() throws Exception {
    byte[] a = random(1 << 20, 5);
    Digest d = master.put(a);
    Path target = Files.write(dir.resolve("t"), Arrays.copyOf(a, 400_000));
    MasterClient.Fetched f = client.fetchObject(d, a.length, target);
    assertEquals(new MasterClient.Fetched(master.url, a.length - 400_000, true), f);
    assertArrayEquals(a, Files.readAllBytes(target));

    // a target that already holds the whole object needs no request
    assertEquals(new MasterClient.Fetched(master.url, 0, true), client.fetchObject(d, a.length, target));
    // a "prefix" that is not one: the whole object is fetched again and the file ends right
    byte[] bad = Arrays.copyOf(a, 1000);
    bad[10] ^= 1;
    Files.write(target, bad);
    MasterClient.Fetched again = client.fetchObject(d, a.length, target);
    assertArrayEquals(a, Files.readAllBytes(target));
    assertFalse(again.resumed());
  }
}
