package org.closurecache.client.master;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;

/**
 * The node's side of the master HTTP API ({@code cache-server/API.md}), over one or more masters,
 * proxies or mirrors, with failover.
 *
 * <p><b>Failover.</b> Masters are tried in the configured order. A master that fails — connection
 * refused or reset, a timeout, a 5xx (or 408/429), a stalled body (no byte for
 * {@code stallTimeout}, checked by the reading loop itself, not only by a request timeout), an
 * answer that does not parse, or bytes that do not hash to the digest — is marked down and the
 * next one is used. A master marked down goes behind the others until {@code retryPreferredAfter}
 * has passed; then it is tried in its configured place again, so the preferred (first) master takes
 * over again once it is back. Masters still marked down are tried last, not skipped. One call makes
 * at most {@code attempts} rounds over the masters; then it throws
 * {@link MastersUnavailableException} listing each master's failure.
 *
 * <p>A 404 on a read means "this one lacks it" (a proxy or mirror may), not "down": the next
 * master is asked. If every master answers 404, manifests and tags are {@link Optional#empty()} and
 * {@link #fetchObject} throws {@link MasterRefusedException} with status 404, code
 * {@code not-found}, saying it is on no master. A 404 without the API's JSON error body is not a
 * master's (a web server at a wrong path): that URL fails like a 5xx. And when every master said
 * 404, a URL under which even the missing query answers 404 (the master under a wrong path prefix)
 * makes the call fail with {@link NotAMasterException} rather than answer "not found". Other 4xx
 * answers (401/403 credentials, a bad signature, a stale tag revision, missing objects, a digest
 * mismatch on upload) throw {@link MasterRefusedException} at once: another master would refuse
 * the same request. A tag or manifest the caller's {@link DocumentCheck} rejects is, like bytes
 * that do not hash to their digest, that master's failure: the next one is asked.
 *
 * <p><b>Objects.</b> {@link #fetchObject} streams into the caller's temp file while hashing. If the
 * file already holds N bytes (an earlier call was interrupted) or a transfer breaks after N bytes,
 * the next attempt — on the same or the next master — asks for {@code Range: bytes=N-}; the prefix
 * is hashed once and the new bytes are added to the same hash. A 200 to a Range request means start
 * over. A digest mismatch empties the file and the object is fetched again from the next master;
 * a mismatch on a resumed object is first retried from byte 0 at the same master, and if that copy
 * verifies, the masters whose bytes it had been resumed onto are the ones marked down.
 * The file is not synced: the caller renames (and syncs) it once this returns.
 *
 * <p><b>Writes</b> go to the first master that is up, with the same failover, so publishers should
 * list only masters sharing one store (or just one). Reads send the token too, if one is configured.
 *
 * <p>Thread-safe: meant to be shared by a pool of fetch threads. The down marks and byte counters
 * are concurrent maps; each call keeps its own state.
 */
public final class MasterClient implements AutoCloseable {
  static {
    // object GETs go through HttpURLConnection, whose keep-alive pool keeps 5 connections per
    // master unless told otherwise; a pull runs up to 256 fetches at once
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "64");
    }
  }

  /** Digests per missing query: well under the master's default limit of 100,000, ~750 KB of JSON. */
  static final int MISSING_BATCH = 10_000;
  private static final int MAX_MISSING_ANSWER = MISSING_BATCH * 80 + 1024;

  private final MasterOptions options;
  private final Transport transport;
  private final Failover failover;
  private final Map<URI, LongAdder> bytes = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private MasterClient(MasterOptions options, Clock clock) {
    this.options = options;
    this.transport = new Transport(options);
    this.failover = new Failover(new MasterHealth(options.masters(), options.retryPreferredAfter(), clock),
        options.attempts());
  }

  public static MasterClient create(MasterOptions options) {
    return new MasterClient(options, Clock.systemUTC());
  }

  /** For tests: a clock that decides when a master marked down is retried. */
  static MasterClient create(MasterOptions options, Clock clock) {
    return new MasterClient(options, clock);
  }

  /** Those of {@code digests} the master lacks, in the order given; asks in batches of 10,000. */
  public List<Digest> missing(Collection<Digest> digests) throws IOException {
    List<Digest> all = List.copyOf(digests);
    List<Digest> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += MISSING_BATCH) {
      List<Digest> batch = all.subList(i, Math.min(all.size(), i + MISSING_BATCH));
      out.addAll(run("missing query for " + batch.size() + " objects", m -> missingBatch(m, batch)));
    }
    return out;
  }

  private List<Digest> missingBatch(URI master, List<Digest> batch) throws IOException {
    StringBuilder json = new StringBuilder(batch.size() * 75 + 2).append('[');
    for (int i = 0; i < batch.size(); i++) {
      json.append(i == 0 ? "\"" : ",\"").append(batch.get(i)).append('"');
    }
    HttpRequest req = transport.request(master, "/v1/objects/missing")
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString(json.append(']').toString(), StandardCharsets.UTF_8)).build();
    try (Transport.Answer a = transport.send(master, req, options.requestTimeout(), null)) {
      if (a.status() != 200) {
        throw transport.unexpected(a, false);
      }
      JsonNode answer = CanonicalJson.parse(a.body().readAll(MAX_MISSING_ANSWER, options.stallTimeout()),
          MAX_MISSING_ANSWER, "missing answer");
      Set<Digest> asked = new HashSet<>(batch);
      List<Digest> lacking = new ArrayList<>(answer.size());
      if (!answer.isArray()) {
        throw new IOException("the missing answer is not a JSON array");
      }
      for (JsonNode n : answer) {
        Digest d = parseDigest(n);
        if (!asked.contains(d)) {
          throw new IOException("the missing answer names " + d + ", which was not asked about");
        }
        lacking.add(d);
      }
      return lacking;
    }
  }

  /** Uploads {@code file} as {@code digest} (write token). True if stored now (201), false if the master had it (200). */
  public boolean putObject(Digest digest, Path file) throws IOException {
    long size = Files.size(file); // fails here, clearly, for a missing file
    return run("upload of " + digest + " (" + size + " bytes)", m -> {
      UploadProgress body = new UploadProgress(BodyPublishers.ofFile(file));
      HttpRequest req = transport.request(m, "/v1/objects/" + digest)
          .header("Content-Type", "application/octet-stream").PUT(body).build();
      return created(transport.send(m, req, options.requestTimeout(), body));
    });
  }

  /** Uploads a signed manifest envelope (write token). True if stored now, false if already stored. */
  public boolean putManifest(Digest digest, byte[] signedEnvelope) throws IOException {
    return putDocument("manifest " + digest, "/v1/manifests/" + digest, signedEnvelope);
  }

  /** Uploads a signed tag (write token). True for a tag's first revision (201), false for a newer revision of it (200). */
  public boolean putTag(String name, byte[] signedTag) throws IOException {
    TagRecord.requireValidName(name);
    return putDocument("tag " + name, "/v1/tags/" + name, signedTag);
  }

  private boolean putDocument(String what, String path, byte[] body) throws IOException {
    byte[] copy = body.clone(); // resent unchanged to the next master even if the caller reuses its array
    return run("upload of " + what, m -> {
      HttpRequest req = transport.request(m, path).header("Content-Type", "application/json")
          .PUT(BodyPublishers.ofByteArray(copy)).build();
      return created(transport.send(m, req, options.requestTimeout(), null));
    });
  }

  private boolean created(Transport.Answer sent) throws IOException {
    try (Transport.Answer a = sent) {
      if (a.status() == 201 || a.status() == 200) {
        a.body().readAll(MAX_MISSING_ANSWER, options.stallTimeout()); // drain, so the connection is reused
        return a.status() == 201;
      }
      throw transport.unexpected(a, false);
    }
  }

  /** The signed manifest envelope named {@code digest}, checked to be that manifest; empty if no master has it. */
  public Optional<byte[]> getManifest(Digest digest) throws IOException {
    return getManifest(digest, (envelope, bytes) -> bytes);
  }

  /**
   * The manifest named {@code digest} as the first master that serves one {@code accept} takes:
   * each master's envelope is parsed once and checked to be that manifest, then handed to
   * {@code accept} (to verify its signatures, say). A {@link DocumentRejectedException} or a
   * signature failure from {@code accept} is that master's failure and the next one is asked; empty
   * if every master answered 404.
   */
  public <T> Optional<T> getManifest(Digest digest, DocumentCheck<SignedManifest, T> accept) throws IOException {
    String what = "manifest " + digest;
    return getDocument(what, "/v1/manifests/" + digest, SignedManifest.MAX_BYTES, bytes -> {
      SignedManifest envelope = SignedManifest.parse(bytes);
      if (!envelope.manifestDigest().equals(digest)) {
        throw new org.closurecache.core.digest.DigestMismatchException("manifest", digest, envelope.manifestDigest());
      }
      return checked(what, accept, envelope, bytes);
    });
  }

  /** The current signed tag {@code name} as the first master that has it serves it (not verified here); empty if none has it. */
  public Optional<byte[]> getTag(String name) throws IOException {
    return getTag(name, (tag, bytes) -> bytes);
  }

  /**
   * The tag {@code name} as the first master that serves one {@code accept} takes (it verifies
   * the signature, the name and the revision); as for {@link #getManifest(Digest, DocumentCheck)},
   * a rejection moves on to the next master.
   */
  public <T> Optional<T> getTag(String name, DocumentCheck<SignedTag, T> accept) throws IOException {
    TagRecord.requireValidName(name);
    String what = "tag " + name;
    return getDocument(what, "/v1/tags/" + name, SignedTag.MAX_BYTES,
        bytes -> checked(what, accept, SignedTag.parse(bytes), bytes));
  }

  /**
   * Accepts or rejects one master's copy of a document: {@code parsed} is the envelope, {@code bytes}
   * its bytes as served. Throw {@link DocumentRejectedException} (or let a signature failure out) to
   * have the next master asked.
   */
  @FunctionalInterface
  public interface DocumentCheck<D, T> {
    T accept(D parsed, byte[] bytes) throws IOException, GeneralSecurityException;
  }

  private static <D, T> T checked(String what, DocumentCheck<D, T> accept, D parsed, byte[] bytes) throws IOException {
    try {
      return accept.accept(parsed, bytes);
    } catch (GeneralSecurityException e) {
      throw new DocumentRejectedException(what + " is not signed by a trusted key: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new DocumentRejectedException(what + " is refused: " + e.getMessage(), e);
    }
  }

  private interface Check<T> {
    T accept(byte[] body) throws IOException;
  }

  private <T> Optional<T> getDocument(String what, String path, int max, Check<T> check) throws IOException {
    try {
      return Optional.of(run("download of " + what, m -> {
        try (Transport.Answer a = transport.send(m, transport.request(m, path).GET().build(),
            options.requestTimeout(), null)) {
          if (a.status() != 200) {
            throw transport.unexpected(a, true);
          }
          // a malformed, wrong or untrusted document is this master's failure
          return check.accept(a.body().readAll(max, options.stallTimeout()));
        }
      }));
    } catch (Failover.NotHere e) {
      requireMasters("download of " + what);
      return Optional.empty();
    }
  }

  /**
   * After every master answered 404: fails, naming them, if some of them are not closure-cache
   * masters at all (the master under a wrong path prefix answers 404 in its own JSON too), since
   * "not found" would then mislead.
   */
  private void requireMasters(String what) throws IOException {
    List<String> notMasters = new ArrayList<>();
    List<String> masters = new ArrayList<>();
    for (URI m : options.masters()) {
      Optional<String> why = transport.notAMaster(m);
      if (why.isPresent()) {
        notMasters.add(m + ": " + why.get());
      } else {
        masters.add(m.toString());
      }
    }
    if (!notMasters.isEmpty()) {
      throw new NotAMasterException(what + " failed: " + String.join("; ", notMasters)
          + (masters.isEmpty() ? "" : "; not found on " + String.join(", ", masters)));
    }
  }

  /**
   * Fetches object {@code digest} of {@code expectedSize} bytes into {@code target} (a temp file the
   * caller owns; a prefix it already holds is resumed from), verifying while it streams. Returns the
   * master that served the last bytes, the bytes received in this call from all masters (discarded
   * ones included) and whether the result continued earlier bytes. If the file already held the
   * whole verified object no request is made: the first configured master, 0 bytes, resumed.
   */
  public Fetched fetchObject(Digest digest, long expectedSize, Path target) throws IOException {
    return fetchObject(digest, expectedSize, target, delta -> {});
  }

  /**
   * As {@link #fetchObject(Digest, long, Path)}, telling {@code held} each change in the bytes the
   * target holds as they stream (a prefix kept from before included; negative when bytes that did
   * not verify are thrown away), so progress can move within one large object. At a normal return
   * the deltas add up to {@code expectedSize}. Called on this thread.
   */
  public Fetched fetchObject(Digest digest, long expectedSize, Path target, LongConsumer held) throws IOException {
    if (expectedSize < 0) {
      throw new IllegalArgumentException("expectedSize must be zero or more, got " + expectedSize);
    }
    ObjectDownload.Listener listener = new ObjectDownload.Listener() {
      @Override
      public void received(URI master, long n) {
        count(master, n);
      }

      @Override
      public void held(long delta) {
        held.accept(delta);
      }

      @Override
      public void blamed(URI master) {
        failover.blame(master);
      }
    };
    try (ObjectDownload d = ObjectDownload.open(digest, expectedSize, target, listener)) {
      if (d.completeAlready()) {
        return new Fetched(options.masters().get(0), 0, true);
      }
      return run("fetch of " + digest, m -> {
        d.attempt(transport, m, options);
        return new Fetched(m, d.received(), d.resumed());
      });
    } catch (Failover.NotHere e) {
      requireMasters("fetch of " + digest);
      throw new MasterRefusedException(options.masters().get(options.masters().size() - 1), "GET /v1/objects/"
          + digest, 404, "not-found", e.getMessage(), "");
    }
  }

  /** What {@link #fetchObject} did. */
  public record Fetched(URI master, long bytes, boolean resumed) {}

  /** Object bytes received from each configured master since creation (in configured order). */
  public Map<URI, Long> bytesByMaster() {
    Map<URI, Long> out = new LinkedHashMap<>();
    for (URI m : options.masters()) {
      LongAdder n = bytes.get(m);
      out.put(m, n == null ? 0L : n.sum());
    }
    return out;
  }

  public MasterOptions options() {
    return options;
  }

  private void count(URI master, long n) {
    bytes.computeIfAbsent(master, k -> new LongAdder()).add(n);
  }

  private <T> T run(String what, Failover.Attempt<T> attempt) throws IOException {
    if (closed) {
      throw new IllegalStateException("this MasterClient is closed");
    }
    return failover.run(what, attempt);
  }

  private static Digest parseDigest(JsonNode n) throws IOException {
    try {
      return Digest.parse(n.asText(null));
    } catch (IllegalArgumentException e) {
      throw new IOException("the master's answer has a malformed digest: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    transport.close();
  }
}
