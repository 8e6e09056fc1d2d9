package org.closurecache.core.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.json.JsonFormatException;

/**
 * A {@link TagRecord} with the signatures that vouch for it. Wire form, canonical JSON of at
 * most {@link #MAX_BYTES}:
 * <pre>{@code
 * {"signatures":[{"keyId":"…","sig":"<base64>"}],"tag":{"issuedAt":"…","manifest":"sha256:…","name":"…","revision":7}}
 * }</pre>
 * Signatures are Ed25519 over {@link Domain#TAG}'s prefix followed by
 * {@link TagRecord#toCanonicalBytes()} of the parsed record, so a manifest signature can never
 * stand in for a tag signature or the other way round. Verifying says who signed, not that the
 * tag is current: callers still apply {@link TagRecord#requireNewerThan} and check the name they
 * asked for. Immutable and thread-safe.
 */
public final class SignedTag {
  public static final int MAX_BYTES = 64 << 10;

  private final TagRecord tag;
  private final byte[] tagBytes;
  private final List<Signature> signatures;

  private SignedTag(TagRecord tag, byte[] tagBytes, List<Signature> signatures) {
    this.tag = tag;
    this.tagBytes = tagBytes;
    this.signatures = List.copyOf(signatures);
  }

  /** Signs {@code tag} with each signer (1 to 16 distinct keys). */
  public static SignedTag sign(TagRecord tag, Signer... signers) {
    if (tag == null) {
      throw new IllegalArgumentException("tag must not be null");
    }
    byte[] bytes = tag.toCanonicalBytes();
    return new SignedTag(tag, bytes, Envelopes.signAll(Domain.TAG, bytes, signers));
  }

  /** Parses an envelope without checking signatures (call {@link #verify}). */
  public static SignedTag parse(byte[] envelope) throws JsonFormatException {
    JsonNode root = CanonicalJson.parseCanonical(envelope, MAX_BYTES, "signed tag");
    Envelopes.requireExactFields(root, "signed tag", Set.of("tag", "signatures"));
    List<Signature> signatures = Envelopes.fromJson(root.get("signatures"), "signed tag");
    TagRecord tag = TagRecord.fromJson(root.get("tag"));
    return new SignedTag(tag, tag.toCanonicalBytes(), signatures);
  }

  public byte[] toBytes() {
    ObjectNode root = CanonicalJson.object();
    root.set("tag", tag.toJson());
    root.set("signatures", Envelopes.toJson(signatures));
    return CanonicalJson.write(root);
  }

  /** The tag record, only if a signature by one of {@code trusted} verifies over it. */
  public TagRecord verify(TrustedKeys trusted) throws SignatureVerificationException {
    trusted.verify(Domain.TAG, tagBytes, signatures);
    return tag;
  }

  /** A copy of the canonical tag record bytes the signatures cover. */
  public byte[] tagBytes() {
    return tagBytes.clone();
  }

  public List<Signature> signatures() {
    return signatures;
  }

  @Override
  public String toString() {
    return "SignedTag[" + tag.name() + " r" + tag.revision() + " signed by "
        + signatures.stream().map(Signature::keyId).toList() + "]";
  }
}
