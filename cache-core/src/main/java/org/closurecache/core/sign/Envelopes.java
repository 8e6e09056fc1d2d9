package org.closurecache.core.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The parts {@link SignedManifest} and {@link SignedTag} share: the {@code "signatures"} array
 * ({@code [{"keyId":"<16 hex>","sig":"<base64 of 64 bytes>"}, …]}, 1 to 16 entries, distinct
 * key ids, standard padded base64 in its one canonical spelling) and strict field checks.
 */
final class Envelopes {
  static final int MAX_SIGNATURES = 16;

  private Envelopes() {}

  /** Signs with every signer; sorted by key id so the same inputs give the same envelope bytes. */
  static List<Signature> signAll(Domain domain, byte[] payload, Signer... signers) {
    if (signers == null || signers.length == 0 || signers.length > MAX_SIGNATURES) {
      throw new IllegalArgumentException("sign with 1 to " + MAX_SIGNATURES + " keys, got "
          + (signers == null ? 0 : signers.length));
    }
    Set<KeyId> seen = new HashSet<>();
    List<Signature> out = new ArrayList<>();
    for (Signer signer : signers) {
      if (!seen.add(signer.keyId())) {
        throw new IllegalArgumentException("key " + signer.keyId() + " is given twice");
      }
      out.add(signer.sign(domain, payload));
    }
    out.sort(Comparator.comparing(Signature::keyId));
    return List.copyOf(out);
  }

  static ArrayNode toJson(List<Signature> signatures) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    for (Signature s : signatures) {
      array.addObject().put("keyId", s.keyId().toString()).put("sig", Base64.getEncoder().encodeToString(s.sig()));
    }
    return array;
  }

  static List<Signature> fromJson(JsonNode node, String what) throws EnvelopeFormatException {
    if (node == null || !node.isArray()) {
      throw new EnvelopeFormatException(what + ".signatures must be an array of {keyId, sig} objects");
    }
    if (node.isEmpty()) {
      throw new EnvelopeFormatException(what + " carries no signatures; it must be signed by at least one key");
    }
    if (node.size() > MAX_SIGNATURES) {
      throw new EnvelopeFormatException(what + " carries " + node.size() + " signatures, over the limit of "
          + MAX_SIGNATURES);
    }
    List<Signature> out = new ArrayList<>();
    Set<KeyId> seen = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String where = what + ".signatures[" + i + "]";
      JsonNode s = node.get(i);
      requireExactFields(s, where, Set.of("keyId", "sig"));
      KeyId keyId;
      try {
        keyId = KeyId.parse(text(s.get("keyId"), where + ".keyId"));
      } catch (IllegalArgumentException e) {
        throw new EnvelopeFormatException(where + ".keyId: " + e.getMessage());
      }
      if (!seen.add(keyId)) {
        throw new EnvelopeFormatException(where + " repeats key id " + keyId);
      }
      out.add(new Signature(keyId, decodeSignature(text(s.get("sig"), where + ".sig"), where + ".sig")));
    }
    return List.copyOf(out);
  }

  private static byte[] decodeSignature(String text, String where) throws EnvelopeFormatException {
    byte[] sig;
    try {
      sig = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new EnvelopeFormatException(where + " is not standard base64: " + e.getMessage());
    }
    if (sig.length != Signature.LENGTH) {
      throw new EnvelopeFormatException(where + " decodes to " + sig.length + " bytes; an Ed25519 signature is "
          + Signature.LENGTH);
    }
    // Java's decoder ignores stray bits in the last character; insisting on the canonical
    // spelling keeps envelope bytes a function of their content.
    if (!Base64.getEncoder().encodeToString(sig).equals(text)) {
      throw new EnvelopeFormatException(where + " is not in canonical base64 (padded, unused bits zero)");
    }
    return sig;
  }

  static void requireExactFields(JsonNode node, String what, Set<String> fields) throws EnvelopeFormatException {
    if (node == null || !node.isObject()) {
      throw new EnvelopeFormatException(what + " must be a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!fields.contains(name)) {
        throw new EnvelopeFormatException(what + " has an unknown field \"" + name + "\"; expected only "
            + Arrays.toString(fields.stream().sorted().toArray()));
      }
    }
    for (String name : fields) {
      if (!node.has(name)) {
        throw new EnvelopeFormatException(what + " lacks the field \"" + name + "\"");
      }
    }
  }

  static String text(JsonNode node, String what) throws EnvelopeFormatException {
    if (node == null || !node.isTextual()) {
      throw new EnvelopeFormatException(what + " must be a string");
    }
    return node.textValue();
  }
}
