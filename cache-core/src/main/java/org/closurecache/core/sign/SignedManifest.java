package org.closurecache.core.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import org.closurecache.core.digest.Digest;
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
 * built with {@link ManifestCodec#fromJson} and re-serialised, and those bytes are what is
 * verified, so the manifest {@link #verify} returns is exactly the one that was signed.
 *
 * <p>Parsing is strict: the envelope must be canonical JSON of at most {@link #MAX_BYTES}, with
 * exactly these two fields and 1 to 16 signatures. Immutable and thread-safe.
 */
public final class SignedManifest {
  /** Largest envelope accepted: a maximal manifest plus room for 16 signatures. */
  public static final int MAX_BYTES = ManifestCodec.MAX_BYTES + (64 << 10);

  private final Manifest manifest;
  private final byte[] manifestBytes;
  private final List<Signature> signatures;

  private SignedManifest(Manifest manifest, byte[] manifestBytes, List<Signature> signatures) {
    this.manifest = manifest;
    this.manifestBytes = manifestBytes;
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
   */
  public static SignedManifest parse(byte[] envelope) throws JsonFormatException {
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
    return ManifestCodec.fromJson(CanonicalJson.parse(envelope, MAX_BYTES, "stored signed manifest").get("manifest"));
  }

  /** The canonical envelope bytes. */
  public byte[] toBytes() {
    ObjectNode root = CanonicalJson.object();
    root.set("manifest", ManifestCodec.toJson(manifest));
    root.set("signatures", Envelopes.toJson(signatures));
    return CanonicalJson.write(root);
  }

  /** The manifest, only if a signature by one of {@code trusted} verifies over it. */
  public Manifest verify(TrustedKeys trusted) throws SignatureVerificationException {
    trusted.verify(Domain.MANIFEST, manifestBytes, signatures);
    return manifest;
  }

  /** SHA-256 of the canonical manifest bytes: the manifest's name in the cache. */
  public Digest manifestDigest() {
    return Digest.of(manifestBytes);
  }

  /** A copy of the canonical manifest bytes the signatures cover. */
  public byte[] manifestBytes() {
    return manifestBytes.clone();
  }

  public List<Signature> signatures() {
    return signatures;
  }

  @Override
  public String toString() {
    return "SignedManifest[" + manifestDigest() + " signed by " + signatures.stream().map(Signature::keyId).toList() + "]";
  }
}
