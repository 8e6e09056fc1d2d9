package org.closurecache.core.sign;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The public keys a node (or the master) accepts signatures from, by {@link KeyId}. A document
 * is accepted iff at least one of its signatures names a trusted key and verifies under it;
 * signatures by unknown keys are ignored, so a document may carry signatures for several
 * audiences. Never empty. Immutable and thread-safe.
 */
public final class TrustedKeys {
  private final SortedMap<KeyId, PublicKey> keys;

  private TrustedKeys(SortedMap<KeyId, PublicKey> keys) {
    this.keys = Collections.unmodifiableSortedMap(keys);
  }

  /** Trusts exactly these keys; duplicates collapse. */
  public static TrustedKeys of(Collection<PublicKey> keys) {
    if (keys == null || keys.isEmpty()) {
      throw new IllegalArgumentException("at least one trusted public key is needed");
    }
    SortedMap<KeyId, PublicKey> map = new TreeMap<>();
    for (PublicKey key : keys) {
      PublicKey previous = map.putIfAbsent(key.keyId(), key);
      // Two different keys with one id would make which key verifies depend on load order.
      if (previous != null && !previous.equals(key)) {
        throw new IllegalArgumentException("two different trusted keys share the key id " + key.keyId());
      }
    }
    return new TrustedKeys(map);
  }

  public static TrustedKeys of(PublicKey... keys) {
    return of(List.of(keys));
  }

  /** Reads each file with {@link KeyFiles#readPublicKey}; the first unreadable file fails the load. */
  public static TrustedKeys load(List<Path> publicKeyFiles) throws IOException {
    if (publicKeyFiles == null || publicKeyFiles.isEmpty()) {
      throw new IllegalArgumentException(
          "no trusted public key files configured; a node must trust at least one publisher key");
    }
    List<PublicKey> keys = new ArrayList<>();
    for (Path file : publicKeyFiles) {
      keys.add(KeyFiles.readPublicKey(file));
    }
    return of(keys);
  }

  public Set<KeyId> keyIds() {
    return keys.keySet();
  }

  public boolean trusts(KeyId id) {
    return keys.containsKey(id);
  }

  /**
   * Returns the id of the first trusted key whose signature over {@code domain.prefix() +
   * payload} verifies; throws when there is none, saying which keys signed and which are trusted.
   */
  public KeyId verify(Domain domain, byte[] payload, List<Signature> signatures)
      throws SignatureVerificationException {
    if (payload == null) {
      throw new IllegalArgumentException("domain, payload and signatures must not be null");
    }
    return verify(domain, payload, 0, payload.length, signatures);
  }

  /** As {@link #verify(Domain, byte[], List)}, over {@code payload[offset, offset + length)}. */
  public KeyId verify(Domain domain, byte[] payload, int offset, int length, List<Signature> signatures)
      throws SignatureVerificationException {
    if (domain == null || payload == null || signatures == null) {
      throw new IllegalArgumentException("domain, payload and signatures must not be null");
    }
    List<KeyId> present = new ArrayList<>();
    List<KeyId> failed = new ArrayList<>();
    byte[] message = null; // built once, exactly sized: a signer's own buffer grows by doubling (32 MiB manifests)
    for (Signature signature : signatures) {
      present.add(signature.keyId());
      PublicKey key = keys.get(signature.keyId());
      if (key == null) {
        continue;
      }
      if (message == null) {
        message = message(domain, payload, offset, length);
      }
      if (verifies(key, message, signature.sig())) {
        return key.keyId();
      }
      failed.add(key.keyId());
    }
    throw new SignatureVerificationException(explain(domain, present, failed), present, List.copyOf(keys.keySet()));
  }

  private static byte[] message(Domain domain, byte[] payload, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, payload.length);
    byte[] prefix = domain.prefix();
    byte[] message = new byte[prefix.length + length];
    System.arraycopy(prefix, 0, message, 0, prefix.length);
    System.arraycopy(payload, offset, message, prefix.length, length);
    return message;
  }

  /** Ed25519 (RFC 8032, pure) over the whole message, without copying it into a signer's buffer. */
  private static boolean verifies(PublicKey key, byte[] message, byte[] sig) {
    if (sig.length != Ed25519.SIGNATURE_SIZE) {
      return false;
    }
    return Ed25519.verify(sig, 0, key.parameters().getEncoded(), 0, message, 0, message.length);
  }

  private String explain(Domain domain, List<KeyId> present, List<KeyId> failed) {
    String what = "no trusted signature verifies this " + domain.wire();
    if (present.isEmpty()) {
      return what + ": it carries no signatures";
    }
    String msg = what + ": signed by key ids " + present + "; trusted key ids are " + keys.keySet();
    if (failed.isEmpty()) {
      return msg + " (none of the signing keys is trusted; add the publisher's .pub file to the trusted keys)";
    }
    return msg + " (the signature by " + failed
        + " does not match the content: the document was altered, or the signature was made for something else)";
  }

  @Override
  public String toString() {
    return "TrustedKeys" + keys.keySet();
  }
}
