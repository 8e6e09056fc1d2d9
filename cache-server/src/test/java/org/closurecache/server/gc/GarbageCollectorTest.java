package org.closurecache.server.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.Signer;
import org.closurecache.server.store.ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the collector keeps and removes, with stored-at times set by a clock. */
class GarbageCollectorTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Signer SIGNER = Signer.of(Ed25519KeyPair.generate());

  @TempDir Path dir;

  static Clock at(Instant t) {
    return Clock.fixed(t, ZoneOffset.UTC);
  }

  /** Stores {@code text} as an object; answers its digest. */
  static Digest put(ObjectStore store, String text) throws IOException {
    byte[] data = text.getBytes();
    Digest d = Digest.of(data);
    store.put(d, new ByteArrayInputStream(data), data.length);
    return d;
  }

  /** Stores a signed one-file manifest naming {@code content}'s object. */
  static void putManifest(ObjectStore store, String content) throws IOException {
    byte[] data = content.getBytes();
    Digest d = Digest.of(data);
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put("/bin/x", FileEntry.of(d, data.length, 0755, 1_700_000_000L, Reason.ENTRY));
    Manifest m = new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint("/bin/x", d),
        Optional.empty(), List.of(), files, new TreeMap<>(), new Launch(List.of("/bin/x"), new TreeMap<>(), "/"));
    SignedManifest signed = SignedManifest.sign(m, SIGNER);
    store.putManifest(signed.manifestDigest(), signed.toBytes());
  }

  @Test
  void keepsReferencedAndYoungObjects_removesOldUnreferencedOnes_dryRunReportsTheSame() throws Exception {
    Path root = dir.resolve("store");
    Digest referencedOld;
    Digest unreferencedOld;
    try (ObjectStore store = ObjectStore.open(root, 1 << 20, at(T0))) {
      referencedOld = put(store, "referenced, stored long ago");
      unreferencedOld = put(store, "unreferenced, stored long ago");
      putManifest(store, "referenced, stored long ago");
    }
    Instant later = T0.plus(Duration.ofDays(3));
    Digest unreferencedYoung;
    Digest referencedYoung;
    try (ObjectStore store = ObjectStore.open(root, 1 << 20, at(later))) {
      unreferencedYoung = put(store, "unreferenced, just stored");
      referencedYoung = put(store, "referenced, just stored");
      putManifest(store, "referenced, just stored");

      Clock now = at(later.plus(Duration.ofHours(1)));
      GarbageCollector.Report dry = GarbageCollector.run(store, Duration.ofDays(1), true, now);
      assertEquals(new GarbageCollector.Report(2, 2, 2, 1, 1, "unreferenced, stored long ago".length(), true), dry);
      assertEquals(4, store.index().objectCount(), "a dry run removes nothing");
      assertTrue(store.contains(unreferencedOld));

      GarbageCollector.Report real = GarbageCollector.run(store, Duration.ofDays(1), false, now);
      assertEquals(new GarbageCollector.Report(2, 2, 2, 1, 1, "unreferenced, stored long ago".length(), false), real);
      assertFalse(store.contains(unreferencedOld));
      assertFalse(store.layout().objectPath(unreferencedOld).toFile().exists());
      assertTrue(store.contains(referencedOld));
      assertTrue(store.contains(unreferencedYoung));
      assertTrue(store.contains(referencedYoung));
      assertEquals(3, store.index().objectCount());

      // grace 0: the young unreferenced object goes too; referenced ones never do
      GarbageCollector.Report all = GarbageCollector.run(store, Duration.ZERO, false, now);
      assertEquals(1, all.removed());
      assertFalse(store.contains(unreferencedYoung));
      assertTrue(store.contains(referencedOld));
      assertTrue(store.contains(referencedYoung));
      assertEquals(2, store.index().objectCount());
    }
    try (ObjectStore reopened = ObjectStore.open(root, 1 << 20)) {
      assertEquals(new ObjectStore.Reconciliation(0, 0, 0, 0, 0), reopened.startupReconciliation(),
          "index and files agree after collection");
    }
  }
}
