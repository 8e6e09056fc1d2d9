package org.closurecache.core.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.regex.Pattern;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.manifest.Ref;

/**
 * What a tag points at, as of one revision: canonical JSON
 * <pre>{@code
 * {"issuedAt":"2026-11-25T14:03:17Z","manifest":"sha256:…","name":"python-3.11","revision":7}
 * }</pre>
 * {@code name} matches {@code [A-Za-z0-9][A-Za-z0-9._-]{0,127}} without {@code ..} (it becomes
 * a file name and a URL segment); {@code revision} is at least 1 and only ever grows, which is
 * what lets nodes refuse a replayed older tag ({@link #requireNewerThan}); {@code issuedAt} is
 * UTC with whole seconds (sub-second parts are dropped on construction), between 1970 and 9999.
 * Immutable.
 */
public record TagRecord(String name, Digest manifest, long revision, Instant issuedAt) {
  private static final Pattern TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  public TagRecord {
    requireValidName(name);
    if (manifest == null) {
      throw new IllegalArgumentException("tag " + name + " must name a manifest digest");
    }
    if (revision < 1) {
      throw new IllegalArgumentException("tag revision must be at least 1, got " + revision);
    }
    if (issuedAt == null || issuedAt.isBefore(Instant.EPOCH) || issuedAt.isAfter(LATEST)) {
      throw new IllegalArgumentException("tag issuedAt must be between 1970 and 9999, got " + issuedAt);
    }
    issuedAt = issuedAt.truncatedTo(ChronoUnit.SECONDS);
  }

  /** Revision 1 of a new tag. */
  public static TagRecord first(String name, Digest manifest, Instant now) {
    return new TagRecord(name, manifest, 1, now);
  }

  /** The next revision of this tag, pointing at {@code manifest}. */
  public TagRecord next(Digest manifest, Instant now) {
    return new TagRecord(name, manifest, Math.addExact(revision, 1), now);
  }

  /** The tag-name rule, kept once by {@link Ref.ByTag#isValidName}. */
  public static boolean isValidName(String name) {
    return Ref.ByTag.isValidName(name);
  }

  public static void requireValidName(String name) {
    Ref.ByTag.requireValidName(name);
  }

  /** Refuses rollback: passes only if this record is strictly newer than {@code seenRevision}. */
  public void requireNewerThan(long seenRevision) throws TagRollbackException {
    if (revision <= seenRevision) {
      throw new TagRollbackException(name, revision, seenRevision);
    }
  }

  public ObjectNode toJson() {
    ObjectNode o = CanonicalJson.object();
    o.put("name", name);
    o.put("manifest", manifest.toString());
    o.put("revision", revision);
    o.put("issuedAt", DateTimeFormatter.ISO_INSTANT.format(issuedAt));
    return o;
  }

  public byte[] toCanonicalBytes() {
    return CanonicalJson.write(toJson());
  }

  /** Builds a record from parsed JSON, strictly: exactly the four fields, each well-formed. */
  public static TagRecord fromJson(JsonNode node) throws EnvelopeFormatException {
    Envelopes.requireExactFields(node, "tag", Set.of("name", "manifest", "revision", "issuedAt"));
    String name = Envelopes.text(node.get("name"), "tag.name");
    JsonNode revision = node.get("revision");
    if (!revision.isIntegralNumber() || !revision.canConvertToLong()) {
      throw new EnvelopeFormatException("tag.revision must be an integer");
    }
    try {
      Digest manifest = Digest.parse(Envelopes.text(node.get("manifest"), "tag.manifest"));
      return new TagRecord(name, manifest, revision.longValue(), instant(Envelopes.text(node.get("issuedAt"), "tag.issuedAt")));
    } catch (IllegalArgumentException e) {
      throw new EnvelopeFormatException("invalid tag: " + e.getMessage());
    }
  }

  private static Instant instant(String text) throws EnvelopeFormatException {
    if (!TIME.matcher(text).matches()) {
      throw new EnvelopeFormatException("tag.issuedAt must look like 2026-11-25T14:03:17Z (UTC, whole seconds), got \""
          + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "\"");
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new EnvelopeFormatException("tag.issuedAt \"" + text + "\" is not a real date and time");
    }
  }
}
