package org.closurecache.core.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The one canonical JSON form that signed documents (manifests, tags) are hashed and signed in.
 *
 * <p>Rules: UTF-8; no insignificant whitespace; object keys sorted by Unicode code point (the
 * same order as their UTF-8 bytes); numbers are integers only; no {@code null}; strings escaped
 * the way Jackson writes them (short escapes for {@code \" \\ \n \t \r \b \f}, {@code \\uXXXX}
 * for other control characters, everything else literal). A document is canonical iff writing
 * what it parses to gives back the same bytes, which {@link #parseCanonical} checks.
 *
 * <p>Stateless and thread-safe.
 */
public final class CanonicalJson {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          // Without this Jackson writes characters outside the BMP as escaped surrogate pairs
          // ("\\uD83D\\uDE00") instead of literal 4-byte UTF-8, breaking the "everything else
          // literal" rule and rejecting literal emoji as non-canonical.
          .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(32)
                  .maxNumberLength(19)
                  .maxStringLength(1 << 20)
                  .build())
          .build();
  /** Built on first parse only: creating a mapper costs a cold CLI more than writing does. */
  private static final class Mapper {
    static final ObjectMapper INSTANCE =
        JsonMapper.builder(FACTORY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .build();
  }

  /** For one value inside a document being streamed: the tokens after it are the caller's. */
  private static final class ValueMapper {
    static final ObjectMapper INSTANCE =
        JsonMapper.builder(FACTORY).enable(DeserializationFeature.USE_LONG_FOR_INTS).build();
  }

  private CanonicalJson() {}

  /** A fresh mutable object node to build documents with. */
  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** Writes {@code node} in canonical form. Throws IllegalArgumentException for non-canonical values. */
  public static byte[] write(JsonNode node) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      writeNode(g, node);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return out.toByteArray();
  }

  /** Parses strict JSON (no duplicate keys, one value, bounded size and depth). */
  public static JsonNode parse(byte[] bytes, int maxBytes, String what) throws JsonFormatException {
    if (bytes.length > maxBytes) {
      throw new JsonFormatException(
          what + " is " + bytes.length + " bytes, over the limit of " + maxBytes);
    }
    try (JsonParser p = FACTORY.createParser(bytes)) {
      JsonNode node = Mapper.INSTANCE.readTree(p);
      if (node == null || node.isMissingNode()) {
        throw new JsonFormatException(what + " is empty");
      }
      return node;
    } catch (JsonFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new JsonFormatException(what + " is not valid JSON: " + firstLine(e.getMessage()));
    }
  }

  /**
   * A strict streaming parser over {@code bytes} (no duplicate keys, bounded depth and lengths),
   * for documents too large to hold as a tree; {@link #readValue} reads one small value of it.
   */
  public static JsonParser parser(byte[] bytes, int maxBytes, String what) throws JsonFormatException {
    if (bytes.length > maxBytes) {
      throw new JsonFormatException(
          what + " is " + bytes.length + " bytes, over the limit of " + maxBytes);
    }
    try {
      return FACTORY.createParser(bytes);
    } catch (IOException e) {
      throw new JsonFormatException(what + " is not valid JSON: " + firstLine(e.getMessage()));
    }
  }

  /** The value at the parser's current token, as a tree (the parser moves to its last token). */
  public static JsonNode readValue(JsonParser p) throws IOException {
    return ValueMapper.INSTANCE.readTree(p);
  }

  /** The message a parse failure of {@code what} is reported with, as {@link #parse} words it. */
  public static JsonFormatException notValid(String what, IOException e) {
    return new JsonFormatException(what + " is not valid JSON: " + firstLine(e.getMessage()));
  }

  /** Writes one value of a document being streamed, canonically. */
  @FunctionalInterface
  public interface StreamedValue {
    void write(JsonGenerator g) throws IOException;
  }

  /**
   * Writes {@code node} in canonical form, with one more field, {@code streamedName}, whose value
   * {@code value} writes straight to the generator (with {@link #writeField} and {@link
   * #writeValue}), so a large member needs no tree. The same bytes as {@link #write} of the whole.
   */
  public static byte[] write(ObjectNode node, String streamedName, StreamedValue value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
    try {
      write(out, node, streamedName, value);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return out.toByteArray();
  }

  /** As {@link #write(ObjectNode, String, StreamedValue)}, to {@code out} (not closed). */
  public static void write(OutputStream out, ObjectNode node, String streamedName, StreamedValue value)
      throws IOException {
    if (node.has(streamedName)) {
      throw new IllegalArgumentException("field \"" + streamedName + "\" is both in the tree and streamed");
    }
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      names.add(streamedName);
      names.sort(CanonicalJson::compareCodePoints);
      g.writeStartObject();
      for (String name : names) {
        writeField(g, name);
        if (name.equals(streamedName)) {
          value.write(g);
        } else {
          writeNode(g, node.get(name));
        }
      }
      g.writeEndObject();
    }
  }

  /** Writes a field name of a streamed document (the caller keeps names in code point order). */
  public static void writeField(JsonGenerator g, String name) throws IOException {
    g.writeFieldName(requireWellFormed(name));
  }

  /** Writes {@code node} canonically as the next value of a streamed document. */
  public static void writeValue(JsonGenerator g, JsonNode node) throws IOException {
    writeNode(g, node);
  }

  /** Parses and also requires the bytes to be exactly the canonical form of what they hold. */
  public static JsonNode parseCanonical(byte[] bytes, int maxBytes, String what)
      throws JsonFormatException {
    JsonNode node = parse(bytes, maxBytes, what);
    byte[] again;
    try {
      again = write(node);
    } catch (IllegalArgumentException e) {
      throw new JsonFormatException(what + " is not canonical JSON: " + e.getMessage());
    }
    if (!Arrays.equals(again, bytes)) {
      throw new JsonFormatException(
          what + " is not in canonical form (sorted keys, no whitespace, integers only)");
    }
    return node;
  }

  private static void writeNode(JsonGenerator g, JsonNode node) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT -> {
        List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          fields.add(it.next());
        }
        fields.sort((a, b) -> compareCodePoints(a.getKey(), b.getKey()));
        g.writeStartObject();
        for (Map.Entry<String, JsonNode> field : fields) {
          g.writeFieldName(requireWellFormed(field.getKey()));
          writeNode(g, field.getValue());
        }
        g.writeEndObject();
      }
      case ARRAY -> {
        g.writeStartArray();
        for (JsonNode element : node) {
          writeNode(g, element);
        }
        g.writeEndArray();
      }
      case STRING -> g.writeString(requireWellFormed(node.textValue()));
      case BOOLEAN -> g.writeBoolean(node.booleanValue());
      case NUMBER -> {
        if (!node.canConvertToExactIntegral() || !node.canConvertToLong() || node.isFloatingPointNumber()) {
          throw new IllegalArgumentException("only integer numbers are canonical, got " + node);
        }
        g.writeNumber(node.longValue());
      }
      default -> throw new IllegalArgumentException(
          "canonical JSON has no " + node.getNodeType() + " values");
    }
  }

  /** Orders strings by Unicode code point, which equals the order of their UTF-8 bytes. */
  public static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static String requireWellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException("string holds a lone UTF-16 surrogate at index " + i);
      }
    }
    return s;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
