package org.closurecache.core.manifest;

import java.util.Optional;
import java.util.regex.Pattern;
import org.closurecache.core.digest.Digest;

/**
 * How a person or a launcher names a job's closure: by its manifest digest ({@link ByDigest},
 * written {@code sha256:<64 lowercase hex>}) or by a tag name ({@link ByTag}) that a master maps to
 * one. {@link #parse} is the one place that tells the two apart: text starting with
 * {@code sha256:} is a digest or an error (a mistyped digest never becomes a tag name), anything
 * else is a tag name by the rule masters, nodes and signed tag records share ({@link
 * ByTag#isValidName}). {@link #toString()} is the wire and command-line form, which
 * {@link #parse} reads back. Immutable and thread-safe.
 */
public sealed interface Ref permits Ref.ByDigest, Ref.ByTag {

  /** Reads a ref; throws {@link IllegalArgumentException} naming the bad text and the rule it breaks. */
  static Ref parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("a ref is a manifest digest (sha256:<64 lowercase hex>) or a tag name;"
          + " got " + (text == null ? "null" : "\"\""));
    }
    if (text.startsWith(ByDigest.PREFIX)) {
      String hex = text.substring(ByDigest.PREFIX.length());
      try {
        return new ByDigest(Digest.ofHex(hex));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(ByTag.quote(text) + " is not a manifest digest: \"" + ByDigest.PREFIX
            + "\" must be followed by exactly 64 lowercase hex characters", e);
      }
    }
    return new ByTag(text);
  }

  static Ref of(Digest manifest) {
    return new ByDigest(manifest);
  }

  static Ref tag(String name) {
    return new ByTag(name);
  }

  /** The manifest digest, when this ref names one directly. */
  Optional<Digest> manifestDigest();

  /** The tag name, when this ref is a tag. */
  Optional<String> tagName();

  /** A manifest by its digest. */
  record ByDigest(Digest digest) implements Ref {
    private static final String PREFIX = Digest.ALGORITHM + ":";

    public ByDigest {
      if (digest == null) {
        throw new IllegalArgumentException("a digest ref needs a digest");
      }
    }

    @Override
    public Optional<Digest> manifestDigest() {
      return Optional.of(digest);
    }

    @Override
    public Optional<String> tagName() {
      return Optional.empty();
    }

    @Override
    public String toString() {
      return digest.toString();
    }
  }

  /**
   * A tag: 1 to 128 of {@code A-Z a-z 0-9 . _ -}, starting with a letter or digit, without
   * {@code ..} (a tag name becomes a URL segment and a file name). The rule lives here once; signed
   * tag records, the master's tag route and the node's tag table all apply it through here.
   */
  record ByTag(String name) implements Ref {
    /** The rule in words, for messages. */
    public static final String RULE =
        "use 1 to 128 of A-Z a-z 0-9 . _ -, starting with a letter or digit, without \"..\"";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public ByTag {
      requireValidName(name);
    }

    public static boolean isValidName(String name) {
      return name != null && NAME.matcher(name).matches() && !name.contains("..");
    }

    public static void requireValidName(String name) {
      if (!isValidName(name)) {
        throw new IllegalArgumentException("tag name " + quote(name) + " is invalid: " + RULE);
      }
    }

    @Override
    public Optional<Digest> manifestDigest() {
      return Optional.empty();
    }

    @Override
    public Optional<String> tagName() {
      return Optional.of(name);
    }

    @Override
    public String toString() {
      return name;
    }

    /** Quoted, cut at 80 characters, control characters escaped: safe in a one-line message. */
    static String quote(String s) {
      if (s == null) {
        return "null";
      }
      StringBuilder b = new StringBuilder("\"");
      s.codePoints().limit(80).forEach(c -> {
        if (c < 0x20 || c == 0x7f) {
          b.append(String.format("\\u%04x", c));
        } else {
          b.appendCodePoint(c);
        }
      });
      return b.append(s.codePointCount(0, s.length()) > 80 ? "…\"" : "\"").toString();
    }
  }
}
