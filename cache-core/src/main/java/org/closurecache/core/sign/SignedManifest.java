package org.closurecache.core.sign;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;

/**
 * A manifest with the signatures that vouch for it, as published by the master.
 *
 * <p>Wire form, canonical JSON ({@link CanonicalJson}):
 * <pre>{@code
 * {"manifest":{…the manifest object…},"signatures":[{"keyId":"1a2b3c4d5e6f7081","sig":"<base64>"}]}
 * }</pre>
 * Each signature is Ed25519 over {@link Domain#MANIFEST}'s prefix followed by
 * {@link ManifestCodec#toCanonicalBytes} of the manifest. On parsing, the embedded manifest is
 * read with {@link ManifestCodec#read} (streaming: no tree of the whole manifest is built) and
 * re-serialised, and those bytes are what is verified, so the manifest {@link #verify} returns is
 * exactly the one that was signed; the envelope must be those bytes and the signatures, canonical.
 *
 * <p>Parsing is strict: the envelope must be canonical JSON of at most {@link #MAX_BYTES}, with
 * exactly these two fields and 1 to 16 signatures. Immutable and thread-safe (as long as the array
 * given to {@link #parse} is not changed).
 */
public final class SignedManifest {
  /** Largest envelope accepted: a maximal manifest plus room for 16 signatures. */
  public static final int MAX_BYTES = ManifestCodec.MAX_BYTES + (64 << 10);

  private final Manifest manifest;
  /** The canonical manifest bytes are {@code source[offset, offset + length)}: a parsed envelope is not copied. */
  private final byte[] source;
  private final int offset;
  private final int length;
  private final List<Signature> signatures;

  private SignedManifest(Manifest manifest, byte[] manifestBytes, List<Signature> signatures) {
    this(manifest, manifestBytes, 0, manifestBytes.length, signatures);
  }

  private SignedManifest(Manifest manifest, byte[] source, int offset, int length, List<Signature> signatures) {
    this.manifest = manifest;
    this.source = source;
    this.offset = offset;
    this.length = length;
    this.signatures = List.copyOf(signatures);
  }

  /** Signs {@code manifest} with each signer (1 to 16 distinct keys). */
  public static SignedManifest sign(Manifest manifest, Signer... signers) {
    if (manifest == null) {
      throw new IllegalArgumentException("manifest must not be null");
    }
    byte[] bytes = ManifestCodec.toCanonicalBytes(manifest);
    return new SignedManifest(manifest, bytes, Envelopes.signAll(Domain.MANIFEST, bytes, signers));
  }

  /**
   * Parses an envelope without checking signatures (call {@link #verify}). Throws
   * {@link EnvelopeFormatException} for a malformed envelope and
   * {@link org.closurecache.core.manifest.ManifestFormatException} for a bad embedded manifest.
   * The result keeps a reference to {@code envelope} (its manifest bytes are a slice of it, not a
   * copy: 32 MiB at the limit), so the caller must not change the array afterwards.
   */
  public static SignedManifest parse(byte[] envelope) throws JsonFormatException {
    Optional<Streamed> streamed = stream(envelope, "signed manifest");
    if (streamed.isEmpty()) {
      return parseTree(envelope);
    }
    Manifest manifest = streamed.get().manifest();
    // The canonical form is written against the envelope, byte by byte, instead of into a second
    // copy: if it matches, the manifest's bytes are that slice of the envelope.
    Matching canonical = new Matching(envelope, HEAD.length);
    try {
      ManifestCodec.writeCanonical(manifest, canonical);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("comparing in memory failed", e);
    }
    if (canonical.count > ManifestCodec.MAX_BYTES) {
      throw new EnvelopeFormatException("the embedded manifest is " + canonical.count
          + " bytes, over the limit of " + ManifestCodec.MAX_BYTES);
    }
    List<Signature> signatures = Envelopes.fromJson(streamed.get().signatures(), "signed manifest");
    byte[] signatureBytes = CanonicalJson.write(Envelopes.toJson(signatures));
    int end = HEAD.length + (int) canonical.count;
    if (!canonical.matches || !Arrays.equals(envelope, 0, HEAD.length, HEAD, 0, HEAD.length)
        || envelope.length != end + MIDDLE.length + signatureBytes.length + 1
        || !Arrays.equals(envelope, end, end + MIDDLE.length, MIDDLE, 0, MIDDLE.length)
        || !Arrays.equals(envelope, end + MIDDLE.length, envelope.length - 1, signatureBytes, 0, signatureBytes.length)
        || envelope[envelope.length - 1] != '}') {
      throw new JsonFormatException(
          "signed manifest is not in canonical form (sorted keys, no whitespace, integers only)");
    }
    return new SignedManifest(manifest, envelope, HEAD.length, end - HEAD.length, signatures);
  }

  /** Compares what is written with {@code expected} from {@code offset} on, keeping no copy. */
  private static final class Matching extends java.io.OutputStream {
    private final byte[] expected;
    private final int offset;
    long count;
    boolean matches = true;

    Matching(byte[] expected, int offset) {
      this.expected = expected;
      this.offset = offset;
    }

    @Override
    public void write(int b) {
      long at = offset + count++;
      matches &= at < expected.length && expected[(int) at] == (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      long at = offset + count;
      count += len;
      matches &= at + len <= expected.length
          && Arrays.equals(expected, (int) at, (int) at + len, b, off, off + len);
    }
  }

  /** The tree-based parse: for envelopes of an unexpected shape, whose errors it words best. */
  private static SignedManifest parseTree(byte[] envelope) throws JsonFormatException {
    JsonNode root = CanonicalJson.parseCanonical(envelope, MAX_BYTES, "signed manifest");
    Envelopes.requireExactFields(root, "signed manifest", Set.of("manifest", "signatures"));
    List<Signature> signatures = Envelopes.fromJson(root.get("signatures"), "signed manifest");
    Manifest manifest = ManifestCodec.fromJson(root.get("manifest"));
    byte[] bytes = ManifestCodec.toCanonicalBytes(manifest);
    if (bytes.length > ManifestCodec.MAX_BYTES) {
      throw new EnvelopeFormatException("the embedded manifest is " + bytes.length + " bytes, over the limit of "
          + ManifestCodec.MAX_BYTES);
    }
    return new SignedManifest(manifest, bytes, signatures);
  }

  /**
   * The manifest inside an envelope that was verified when it was stored (a master's or a node's
   * own store): parsed, not verified again. Never use it on bytes from the network.
   */
  public static Manifest storedManifest(byte[] envelope) throws JsonFormatException {
    Optional<Streamed> streamed = stream(envelope, "stored signed manifest");
    if (streamed.isPresent()) {
      return streamed.get().manifest();
    }
    return ManifestCodec.fromJson(CanonicalJson.parse(envelope, MAX_BYTES, "stored signed manifest").get("manifest"));
  }

  /**
   * As {@link #storedManifest(byte[])}, checking that the envelope holds the manifest named {@code
   * expected}: a stored file or entry read back under its digest.
   *
   * @throws DigestMismatchException if it holds another manifest
   */
  public static Manifest storedManifest(Digest expected, byte[] envelope)
      throws JsonFormatException, DigestMismatchException {
    Manifest m = storedManifest(envelope);
    Digest actual = ManifestCodec.digest(m);
    if (!actual.equals(expected)) {
      throw new DigestMismatchException("manifest in envelope", expected, actual);
    }
    return m;
  }

  /** The two members of an envelope read with a streaming parser. */
  private record Streamed(Manifest manifest, JsonNode signatures) {}

  /**
   * Reads {@code {"manifest":{…},"signatures":[…]}} in that order without building a tree of the
   * manifest (a tree of 200,000 files takes some 150 MiB); empty when the envelope has another
   * shape, which the tree-based parse then reports on.
   */
  private static Optional<Streamed> stream(byte[] envelope, String what) throws JsonFormatException {
    try (JsonParser p = CanonicalJson.parser(envelope, MAX_BYTES, what)) {
      if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
          || !"manifest".equals(p.currentName()) || p.nextToken() != JsonToken.START_OBJECT) {
        return Optional.empty();
      }
      Manifest manifest = ManifestCodec.read(p);
      if (p.nextToken() != JsonToken.FIELD_NAME || !"signatures".equals(p.currentName())) {
        return Optional.empty();
      }
      p.nextToken();
      JsonNode signatures = CanonicalJson.readValue(p);
      if (p.nextToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        return Optional.empty();
      }
      return Optional.of(new Streamed(manifest, signatures));
    } catch (JsonFormatException e) {
      throw e;
    } catch (IOException e) {
      throw CanonicalJson.notValid(what, e);
    }
  }

  private static final byte[] HEAD = "{\"manifest\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MIDDLE = ",\"signatures\":".getBytes(StandardCharsets.US_ASCII);

  /** The canonical envelope bytes. */
  public byte[] toBytes() {
    byte[] signatureBytes = CanonicalJson.write(Envelopes.toJson(signatures));
    byte[] out = new byte[HEAD.length + length + MIDDLE.length + signatureBytes.length + 1];
    System.arraycopy(HEAD, 0, out, 0, HEAD.length);
    System.arraycopy(source, offset, out, HEAD.length, length);
    int at = HEAD.length + length;
    System.arraycopy(MIDDLE, 0, out, at, MIDDLE.length);
    at += MIDDLE.length;
    System.arraycopy(signatureBytes, 0, out, at, signatureBytes.length);
    at += signatureBytes.length;
    out[at] = '}';
    return out;
  }

  /** The manifest, only if a signature by one of {@code trusted} verifies over it. */
  public Manifest verify(TrustedKeys trusted) throws SignatureVerificationException {
    trusted.verify(Domain.MANIFEST, source, offset, length, signatures);
    return manifest;
  }

  /** SHA-256 of the canonical manifest bytes: the manifest's name in the cache. */
  public Digest manifestDigest() {
    java.security.MessageDigest md = Digest.newMessageDigest();
    md.update(source, offset, length);
    return Digest.ofBytes(md.digest());
  }

  /** A copy of the canonical manifest bytes the signatures cover. */
  public byte[] manifestBytes() {
    return Arrays.copyOfRange(source, offset, offset + length);
  }

  public List<Signature> signatures() {
    return signatures;
  }

  @Override
  public String toString() {
    return "SignedManifest[" + manifestDigest() + " signed by " + signatures.stream().map(Signature::keyId).toList() + "]";
  }
}
