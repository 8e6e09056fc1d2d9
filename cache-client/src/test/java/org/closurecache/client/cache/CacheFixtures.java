package org.closurecache.client.cache;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.closurecache.core.digest.Descriptor;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingOutputStream;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.Signer;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.core.sign.TrustedKeys;

/** Test data: random objects staged the way a pull stages them, and signed closures over them. */
final class CacheFixtures {
  private static final Signer SIGNER = Signer.of(Ed25519KeyPair.generate());

  private CacheFixtures() {}

  static byte[] randomBytes(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  /** Writes {@code bytes} into a new temp file, hashing while writing, as a pull does. */
  static Staged stage(CacheLayout layout, byte[] bytes) throws IOException {
    Path temp = layout.newTempFile();
    Descriptor d;
    try (OutputStream file = Files.newOutputStream(temp);
        DigestingOutputStream out = new DigestingOutputStream(file)) {
      out.write(bytes);
      d = out.descriptor();
    }
    return new Staged(d.digest(), temp, d.size());
  }

  static List<Staged> stageRandom(CacheLayout layout, Random random, int count, int size)
      throws IOException {
    List<Staged> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(stage(layout, randomBytes(random, size)));
    }
    return out;
  }

  /** A closure whose entry is the first object and whose other files are the rest. */
  record Closure(Digest digest, byte[] envelope, Manifest manifest) {}

  static Closure closure(String name, List<Staged> objects) {
    SortedMap<String, FileEntry> files = new TreeMap<>();
    String entry = "/opt/" + name + "/bin/" + name;
    for (int i = 0; i < objects.size(); i++) {
      Staged s = objects.get(i);
      if (i == 0) {
        files.put(entry, FileEntry.of(s.digest(), s.size(), 0755, 1_700_000_000L, Reason.ENTRY));
      } else {
        files.put("/opt/" + name + "/lib/f" + i, FileEntry.of(s.digest(), s.size(), 0644, 1_700_000_000L,
            Reason.INCLUDED));
      }
    }
    Manifest m = new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint(entry,
        objects.get(0).digest()), Optional.empty(), List.of(), files, new TreeMap<>(),
        new Launch(List.of(entry), new TreeMap<>(Map.of()), "/"));
    byte[] envelope = SignedManifest.sign(m, SIGNER).toBytes();
    return new Closure(ManifestCodec.digest(m), envelope, m);
  }

  /** The keys that trust {@link #closure}'s and {@link #tag}'s signatures. */
  static TrustedKeys trust() {
    return TrustedKeys.of(SIGNER.publicKey());
  }

  /** A signed tag record naming {@code manifest}. */
  static byte[] tag(String name, long revision, Digest manifest) {
    return SignedTag.sign(new TagRecord(name, manifest, revision, Instant.parse("2026-12-01T00:00:00Z")), SIGNER)
        .toBytes();
  }

  static Digest digestOf(byte[] bytes) {
    return Digest.of(bytes);
  }
}
