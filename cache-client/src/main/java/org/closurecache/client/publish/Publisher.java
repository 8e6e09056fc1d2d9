package org.closurecache.client.publish;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.master.MasterRefusedException;
import org.closurecache.client.progress.Progress;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.Signer;
import org.closurecache.core.sign.TagRecord;

/**
 * Publishes a captured closure: asks the master which objects it lacks in one round trip,
 * uploads only those (in parallel), signs and uploads the manifest, and optionally moves a
 * signed tag to it (revision + 1). Publishing the same closure twice uploads no object the second
 * time. Not thread-safe; one publish at a time.
 */
public final class Publisher {
  /** What a publish did. */
  public record Result(Digest manifest, int objects, int uploaded, long bytesUploaded, Optional<Long> tagRevision) {}

  private final MasterClient master;
  private final Signer signer;
  private final int parallelism;
  private final Clock clock;

  public Publisher(MasterClient master, Signer signer, int parallelism, Clock clock) {
    this.master = master;
    this.signer = signer;
    this.parallelism = parallelism;
    this.clock = clock;
  }

  public Result publish(Manifest manifest, Optional<String> tag, Progress progress) throws IOException {
    return publish(manifest, Path::of, tag, progress);
  }

  /**
   * Publishes a closure whose bytes are not all at their manifest paths on this host (the node
   * kit's own files are staged elsewhere): {@code source} gives the local file for a path.
   */
  public Result publish(Manifest manifest, Function<String, Path> source, Optional<String> tag, Progress progress)
      throws IOException {
    tag.ifPresent(TagRecord::requireValidName);
    // one local file per object: the closure names each digest at one or more real paths
    Map<Digest, Map.Entry<String, FileEntry>> sources = new LinkedHashMap<>();
    for (Map.Entry<String, FileEntry> e : manifest.files().entrySet()) {
      sources.putIfAbsent(e.getValue().digest(), e);
    }
    List<Digest> missing = master.missing(new ArrayList<>(sources.keySet()));
    long total = missing.stream().mapToLong(d -> sources.get(d).getValue().size()).sum();
    progress.total(missing.size(), total);
    AtomicLong uploadedBytes = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(parallelism, missing.size())));
    try {
      List<Future<?>> uploads = new ArrayList<>();
      for (Digest d : missing) {
        Map.Entry<String, FileEntry> entry = sources.get(d);
        Path file = source.apply(entry.getKey());
        uploads.add(pool.submit(() -> {
          upload(d, file);
          uploadedBytes.addAndGet(entry.getValue().size());
          progress.advance(1, entry.getValue().size());
          return null;
        }));
      }
      await(uploads);
    } finally {
      pool.shutdownNow();
    }
    progress.finish();
    SignedManifest envelope = SignedManifest.sign(manifest, signer);
    master.putManifest(envelope.manifestDigest(), envelope.toBytes());
    Optional<Long> revision = Optional.empty();
    if (tag.isPresent()) {
      revision = Optional.of(moveTag(tag.get(), envelope.manifestDigest()));
    }
    return new Result(envelope.manifestDigest(), sources.size(), missing.size(), uploadedBytes.get(), revision);
  }

  private void upload(Digest digest, Path path) throws IOException {
    try {
      master.putObject(digest, path);
    } catch (MasterRefusedException e) {
      if ("digest-mismatch".equals(e.code())) {
        throw new IOException(path + " changed since its closure was captured (it no longer hashes to "
            + digest + "); capture and publish again", e);
      }
      throw e;
    }
  }

  /** Signs revision current + 1; one retry if another publisher moved the tag meanwhile. */
  private long moveTag(String name, Digest manifest) throws IOException {
    for (int attempt = 0; ; attempt++) {
      long current = currentRevision(name);
      TagRecord record = new TagRecord(name, manifest, current + 1, clock.instant());
      try {
        master.putTag(name, SignedTag.sign(record, signer).toBytes());
        return record.revision();
      } catch (MasterRefusedException e) {
        if (!"stale-revision".equals(e.code()) || attempt > 0) {
          throw e;
        }
      }
    }
  }

  private long currentRevision(String name) throws IOException {
    Optional<byte[]> bytes = master.getTag(name);
    if (bytes.isEmpty()) {
      return 0;
    }
    // only the number is needed; the master enforces that revisions grow
    SignedTag tag = SignedTag.parse(bytes.get());
    return TagRecord.fromJson(CanonicalJson.parse(tag.tagBytes(), SignedTag.MAX_BYTES, "tag " + name)).revision();
  }

  private static void await(List<Future<?>> futures) throws IOException {
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw new IllegalStateException("upload failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while uploading");
      }
    }
  }
}
