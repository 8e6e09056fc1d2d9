package org.closurecache.client.pull;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cache.Staged;
import org.closurecache.client.master.DocumentRejectedException;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.progress.Progress;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Ref;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.core.sign.TrustedKeys;

/**
 * Pulls a job's closure into the node cache: resolves a tag (refusing one older than the cache
 * has seen), verifies the manifest's signature against the trusted keys, computes what the cache
 * lacks, fetches it in parallel (each object verified while it streams, by {@link MasterClient}),
 * commits fetched objects in batches (one durability barrier and one index write per batch, by
 * {@link NodeCache#commit}) while the next batch downloads, and marks the closure complete only
 * when all of it is durable. Each fetched object file gets the mode and mtime of the manifest's
 * first file (in path order) with that content ({@link Staged.Presentation#byObject}), so a view
 * that hard-links it shows the recorded attributes. A verified download is renamed to carry its
 * digest ({@link NodeCache#keepVerified}) before it waits for its batch, so a pull killed before
 * the batch commits loses nothing it verified: the next pull hashes those files again and
 * commits them instead of fetching them. Not thread-safe; one pull at a time per instance.
 */
public final class Puller {
  /** Objects committed together: one filesystem sync and one index batch each. */
  static final int BATCH = 256;

  /** What a pull did. */
  public record Result(Digest manifest, Optional<String> tag, int objects, int fetched, int present,
      long bytesFetched, Duration took, Map<URI, Long> bytesByMaster) {}

  private final MasterClient master;
  private final NodeCache cache;
  private final TrustedKeys trust;
  private final int parallelism;

  public Puller(MasterClient master, NodeCache cache, TrustedKeys trust, int parallelism) {
    this.master = master;
    this.cache = cache;
    this.trust = trust;
    this.parallelism = parallelism;
  }

  /** Pulls the closure {@code ref} names: a tag is resolved through the masters first. */
  public Result pull(Ref ref, Progress progress) throws IOException {
    long start = System.nanoTime();
    Optional<String> tag = ref.tagName();
    Digest digest = tag.isPresent() ? resolveTag(tag.get()) : ref.manifestDigest().orElseThrow();
    if (tag.isEmpty() && cache.isComplete(digest)) {
      // verified when it was stored, every object durable: nothing to ask any master
      cache.touch(digest);
      int objects = SignedManifest.storedManifest(cache.manifest(digest).orElseThrow()).objectDigests().size();
      return new Result(digest, tag, objects, 0, objects, 0, elapsed(start), master.bytesByMaster());
    }
    Manifest manifest = manifest(digest); // parsed once: at the size limit a parse is ~30 MiB of work
    int objects = manifest.objectDigests().size();
    if (cache.isComplete(digest)) {
      cache.touch(digest);
      return new Result(digest, tag, objects, 0, objects, 0, elapsed(start), master.bytesByMaster());
    }
    Map<Digest, Long> sizes = new java.util.HashMap<>();
    for (FileEntry f : manifest.files().values()) {
      sizes.put(f.digest(), f.size());
    }
    List<Digest> missing = cache.missing(manifest.objectDigests());
    long bytes = missing.stream().mapToLong(sizes::get).sum();
    progress.total(missing.size(), bytes);
    fetchAll(missing, sizes, Staged.Presentation.byObject(manifest), progress);
    progress.finish();
    cache.markComplete(digest, manifest);
    cache.touch(digest);
    return new Result(digest, tag, objects, missing.size(), objects - missing.size(), bytes, elapsed(start),
        master.bytesByMaster());
  }

  private Digest resolveTag(String name) throws IOException {
    long seen = cache.tagRevision(name);
    Optional<Digest> seenTarget = cache.tagTarget(name);
    // checked per master, so a bad signature or a stale revision from one asks the next
    Verified<TagRecord> tag = master.getTag(name, (signed, bytes) -> {
      TagRecord record = signed.verify(trust);
      if (!record.name().equals(name)) {
        throw new DocumentRejectedException("answered tag \"" + record.name() + "\" when asked for \"" + name + "\"");
      }
      if (record.revision() < seen) {
        throw new DocumentRejectedException("tag " + name + " revision " + record.revision()
            + " is older than revision " + seen + ", which this cache has accepted (a rollback, or a mirror behind)");
      }
      if (record.revision() == seen && seenTarget.isPresent() && !seenTarget.get().equals(record.manifest())) {
        throw new DocumentRejectedException("tag " + name + " revision " + seen + " names " + record.manifest()
            + ", but this cache accepted it naming " + seenTarget.get());
      }
      return new Verified<>(bytes, record);
    }).orElseThrow(() -> new IOException("no tag \"" + name + "\" on any master"));
    TagRecord record = tag.value();
    // refuses a revision older than one this cache has accepted: a rollback (a concurrent pull may have moved it)
    cache.recordTag(name, record.revision(), record.manifest(), tag.bytes());
    return record.manifest();
  }

  /** A document as a master served it, and what its checks made of it. */
  private record Verified<T>(byte[] bytes, T value) {}

  /** A master's envelope of a manifest (parsed once) and the manifest its signature verified. */
  private record Fetched(SignedManifest envelope, Manifest manifest) {}

  private Manifest manifest(Digest digest) throws IOException {
    Optional<byte[]> known = cache.manifest(digest);
    if (known.isEmpty()) {
      // checked per master, so a bad signature from one asks the next; parsed once, by the master
      // client: at the size limit a parse is a large part of a pull's heap
      Fetched fetched = master.getManifest(digest, (envelope, bytes) ->
              new Fetched(envelope, envelope.verify(trust)))
          .orElseThrow(() -> new IOException("no manifest " + digest + " on any master"));
      cache.putManifest(fetched.envelope());
      return fetched.manifest();
    }
    SignedManifest envelope;
    try {
      envelope = SignedManifest.parse(known.get());
    } catch (JsonFormatException e) {
      throw new IOException("manifest " + digest + " is malformed: " + e.getMessage(), e);
    }
    if (!envelope.manifestDigest().equals(digest)) {
      throw new IOException("asked for manifest " + digest + " but got " + envelope.manifestDigest());
    }
    try {
      return envelope.verify(trust);
    } catch (GeneralSecurityException e) {
      throw new IOException("manifest " + digest + " is not signed by a trusted key: " + e.getMessage(), e);
    }
  }

  /** Fetches batch k+1 while batch k is being made durable. */
  private void fetchAll(List<Digest> missing, Map<Digest, Long> sizes, Map<Digest, Staged.Presentation> presentations,
      Progress progress) throws IOException {
    if (missing.isEmpty()) {
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, missing.size()), r -> {
      Thread t = new Thread(r, "closure-fetch");
      t.setDaemon(true);
      return t;
    });
    try {
      Map<Digest, Path> leftovers = cache.leftoverDownloads();
      int batches = (missing.size() + BATCH - 1) / BATCH;
      CompletableFuture<List<Staged>> next = fetchBatch(missing, 0, sizes, presentations, leftovers, pool, progress);
      for (int b = 0; b < batches; b++) {
        List<Staged> staged = join(next);
        if (b + 1 < batches) {
          next = fetchBatch(missing, b + 1, sizes, presentations, leftovers, pool, progress);
        }
        cache.commit(staged);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private CompletableFuture<List<Staged>> fetchBatch(List<Digest> missing, int batch, Map<Digest, Long> sizes,
      Map<Digest, Staged.Presentation> presentations, Map<Digest, Path> leftovers, ExecutorService pool,
      Progress progress) {
    List<CompletableFuture<Staged>> parts = new ArrayList<>();
    for (Digest d : missing.subList(batch * BATCH, Math.min(missing.size(), (batch + 1) * BATCH))) {
      parts.add(CompletableFuture.supplyAsync(() -> {
        try {
          Path file = reuse(d, leftovers.get(d));
          if (file == null) {
            Path temp = cache.layout().newTempFile();
            // bytes move the progress as they stream, so one large object does not freeze it
            master.fetchObject(d, sizes.get(d), temp, held -> {
              if (held != 0) {
                progress.advance(0, held);
              }
            });
            file = keep(d, temp);
            progress.advance(1, 0);
          } else {
            progress.advance(1, sizes.get(d));
          }
          return new Staged(d, file, sizes.get(d), Optional.ofNullable(presentations.get(d)));
        } catch (IOException e) {
          throw new CompletionException(e);
        }
      }, pool));
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]))
        .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
  }

  /**
   * A download a killed pull verified but did not commit, hashed again (it was never synced);
   * null if there is none or it no longer matches (then it is deleted and fetched again).
   */
  private static Path reuse(Digest d, Path leftover) throws IOException {
    if (leftover == null) {
      return null;
    }
    try {
      NodeCache.stage(d, leftover);
      return leftover;
    } catch (DigestMismatchException | NoSuchFileException e) {
      Files.deleteIfExists(leftover);
      return null;
    }
  }

  /** Renames a verified download so that a crash before its batch commits keeps it. */
  private Path keep(Digest d, Path temp) throws IOException {
    try {
      return cache.keepVerified(d, temp);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static List<Staged> join(CompletableFuture<List<Staged>> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw e;
    } catch (java.util.concurrent.CancellationException e) {
      throw new InterruptedIOException("pull cancelled");
    }
  }

  private static Duration elapsed(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }
}
