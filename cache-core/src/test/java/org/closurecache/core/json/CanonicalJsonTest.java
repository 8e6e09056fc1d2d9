package org.closurecache.core.json;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CanonicalJsonTest {
  private static final int MAX = 1 << 20;

  private static String write(JsonNode node) {
    return new String(CanonicalJson.write(node), UTF_8);
  }

  private static JsonNode canonical(String json) throws JsonFormatException {
    return CanonicalJson.parseCanonical(json.getBytes(UTF_8), MAX, "doc");
  }

  private static JsonFormatException rejected(String json) {
    return assertThrows(JsonFormatException.class, () -> canonical(json));
  }

  @Test
  void write_sortsKeysByCodePoint_notByUtf16Unit() {
    // U+1F600 is a surrogate pair D83D DE00, which sorts before U+FFFF in UTF-16 order
    // but after it in code point (and UTF-8 byte) order.
    ObjectNode o = CanonicalJson.object();
    o.put("\uD83D\uDE00", 1);
    o.put("\uFFFF", 2);
    o.put("\uE000", 3);
    o.put("a", 4);
    o.put("", 5);
    o.put("B", 6);
    assertEquals("{\"\":5,\"B\":6,\"a\":4,\"\uE000\":3,\"\uFFFF\":2,\"\uD83D\uDE00\":1}", write(o));
    assertTrue("\uD83D\uDE00".compareTo("\uFFFF") < 0, "premise: UTF-16 order differs");
  }

  @Test
  void write_sortsNestedObjectsToo_andIgnoresInsertionOrder() {
    ObjectNode a = CanonicalJson.object();
    a.putObject("z").put("y", 1).put("x", 2);
    a.putArray("b").add(3).addObject().put("q", true).put("p", false);
    ObjectNode b = CanonicalJson.object();
    b.putArray("b").add(3).addObject().put("p", false).put("q", true);
    b.putObject("z").put("x", 2).put("y", 1);
    assertEquals("{\"b\":[3,{\"p\":false,\"q\":true}],\"z\":{\"x\":2,\"y\":1}}", write(a));
    assertArrayEquals(CanonicalJson.write(a), CanonicalJson.write(b));
  }

  @Provide
  Arbitrary<String> keys() {
    return Arbitraries.of("a", "b", "\uFFFF", "\uD83D\uDE00", "\uE000", "\u00e9", "\uD800\uDC00",
            "\uDBFF\uDFFF", "\u0000", "Z", "\u007f", "\u0800")
        .list().ofMinSize(0).ofMaxSize(4).map(l -> String.join("", l));
  }

  @Property(tries = 300)
  void compareCodePoints_agreesWithUtf8ByteOrder(@ForAll("keys") String a, @ForAll("keys") String b) {
    int expected = compareUnsigned(a.getBytes(UTF_8), b.getBytes(UTF_8));
    assertEquals(Integer.signum(expected), Integer.signum(CanonicalJson.compareCodePoints(a, b)));
  }

  @Property(tries = 200)
  void write_keyOrderIsUtf8ByteOrder_andParseCanonicalAcceptsIt(@ForAll("keyLists") List<String> keys)
      throws JsonFormatException {
    ObjectNode o = CanonicalJson.object();
    keys.forEach(k -> o.put(k, k));
    byte[] bytes = CanonicalJson.write(o);
    JsonNode back = CanonicalJson.parseCanonical(bytes, MAX, "doc");
    assertEquals(o, back);
    List<String> order = new ArrayList<>();
    back.fieldNames().forEachRemaining(order::add);
    List<String> sorted = new ArrayList<>(order);
    sorted.sort((x, y) -> compareUnsigned(x.getBytes(UTF_8), y.getBytes(UTF_8)));
    assertEquals(sorted, order);
  }

  @Provide
  Arbitrary<List<String>> keyLists() {
    return keys().list().uniqueElements().ofMaxSize(8);
  }

  private static int compareUnsigned(byte[] a, byte[] b) {
    return java.util.Arrays.compareUnsigned(a, b);
  }

  @Test
  void parseCanonical_acceptsItsOwnOutput() throws JsonFormatException {
    ObjectNode o = CanonicalJson.object();
    o.put("n", Long.MIN_VALUE).put("m", Long.MAX_VALUE).put("z", 0).put("t", true).put("s", "x");
    o.putArray("a").add(-1).add("").addArray();
    o.putObject("o");
    byte[] bytes = CanonicalJson.write(o);
    assertEquals(
        "{\"a\":[-1,\"\",[]],\"m\":9223372036854775807,\"n\":-9223372036854775808,\"o\":{},\"s\":\"x\",\"t\":true,\"z\":0}",
        new String(bytes, UTF_8));
    // compare bytes: parsing yields LongNodes where put(int) made IntNodes
    assertArrayEquals(bytes, CanonicalJson.write(CanonicalJson.parseCanonical(bytes, MAX, "doc")));
  }

  @Test
  void parseCanonical_whenSupplementaryCharacterIsEscaped_rejects_literalIsCanonical()
      throws JsonFormatException {
    rejected("{\"a\":\"\\uD83D\\uDE00\"}");
    assertEquals("\uD83D\uDE00", canonical("{\"a\":\"\uD83D\uDE00\"}").get("a").textValue());
    byte[] literal = "\"\uD83D\uDE00\"".getBytes(UTF_8);
    assertEquals(6, literal.length);
    assertArrayEquals(literal, CanonicalJson.write(JsonNodeFactory.instance.textNode("\uD83D\uDE00")));
  }

  @Test
  void controlCharactersAndNonAscii_roundTrip() throws JsonFormatException {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x80; c++) {
      all.append(c);
    }
    all.append("\u00e9\u4e2d\uD83D\uDE00\u2028\u2029\uFEFF\uFFFF\u0085");
    ObjectNode o = CanonicalJson.object();
    o.put(all.toString(), all.toString());
    byte[] bytes = CanonicalJson.write(o);
    String text = new String(bytes, UTF_8);
    assertTrue(text.contains("\\u0000") && text.contains("\\n") && text.contains("\\t")
        && text.contains("\\\"") && text.contains("\\\\") && text.contains("\\u001F"), text);
    assertTrue(text.contains("\u00e9\u4e2d\uD83D\uDE00\u2028"), "non-ASCII is literal: " + text);
    assertEquals(o, CanonicalJson.parseCanonical(bytes, MAX, "doc"));
    assertArrayEquals(bytes, CanonicalJson.write(CanonicalJson.parseCanonical(bytes, MAX, "doc")));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"a\": 1}", " {\"a\":1}", "{\"a\":1} ", "{\"a\":1}\n", "{ \"a\":1}", "[1, 2]", "{\"a\":1 }",
      "{\"a\":\n1}", "\t{}"})
  void parseCanonical_whenWhitespace_rejects(String json) {
    assertTrue(rejected(json).getMessage().contains("canonical"));
  }

  @Test
  void parseCanonical_whenKeysUnsorted_rejects() {
    assertTrue(rejected("{\"b\":1,\"a\":2}").getMessage().contains("sorted keys"));
    // sorted in UTF-16 order but not in code point order
    rejected("{\"\uD83D\uDE00\":1,\"\uFFFF\":2}");
    rejected("{\"o\":{\"y\":1,\"x\":2}}");
  }

  @Test
  void parseCanonical_whenDuplicateKeys_rejectsNamingTheKey() {
    JsonFormatException e = rejected("{\"a\":1,\"a\":1}");
    assertTrue(e.getMessage().contains("Duplicate") && e.getMessage().contains("'a'"), e.getMessage());
    e = assertThrows(JsonFormatException.class,
        () -> CanonicalJson.parse("{\"o\":{\"k\":1,\"k\":2}}".getBytes(UTF_8), MAX, "doc"));
    assertTrue(e.getMessage().contains("'k'"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"a\":1.0}", "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":1E3}", "{\"a\":-0.0}",
      "[0.1]", "1.0", "{\"a\":-0}", "{\"a\":01}", "{\"a\":+1}", "{\"a\":NaN}", "{\"a\":Infinity}"})
  void parseCanonical_whenNotAPlainInteger_rejects(String json) {
    rejected(json);
  }

  @Test
  void parseCanonical_whenIntegerBeyondLong_rejects() {
    JsonFormatException e = rejected("{\"a\":9223372036854775808}");
    assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    rejected("{\"a\":-9223372036854775809}");
    rejected("{\"a\":12345678901234567890123}");
    ObjectNode big = CanonicalJson.object();
    big.put("a", new BigInteger("9223372036854775808"));
    assertThrows(IllegalArgumentException.class, () -> CanonicalJson.write(big));
    ObjectNode dbl = CanonicalJson.object();
    dbl.put("a", 1.0);
    assertThrows(IllegalArgumentException.class, () -> CanonicalJson.write(dbl));
  }

  @Test
  void parseCanonical_whenNull_rejectsSayingNull() {
    assertTrue(rejected("{\"a\":null}").getMessage().contains("NULL"));
    rejected("null");
    rejected("[null]");
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalJson.write(CanonicalJson.object().putNull("a")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}x", "{}{}", "{}]", "1 2", "{}\u0000", "[]}", "\"a\"\"b\""})
  void parse_whenTrailingGarbage_rejects(String json) {
    assertThrows(JsonFormatException.class, () -> CanonicalJson.parse(json.getBytes(UTF_8), MAX, "doc"));
    rejected(json);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "{\"a\"}", "{\"a\":}", "{'a':1}", "{a:1}", "[1,]", "{\"a\":1,}",
      "/*c*/{}", "{\"a\":\"\t\"}", "{\"a\":tru}"})
  void parse_whenMalformed_rejects(String json) {
    assertThrows(JsonFormatException.class, () -> CanonicalJson.parse(json.getBytes(UTF_8), MAX, "doc"));
  }

  @Test
  void parse_whenNestedTooDeep_rejects() {
    String bomb = "[".repeat(100_000) + "]".repeat(100_000);
    JsonFormatException e = assertThrows(JsonFormatException.class,
        () -> CanonicalJson.parse(bomb.getBytes(UTF_8), MAX, "doc"));
    assertTrue(e.getMessage().toLowerCase().contains("depth"), e.getMessage());
    String objects = "{\"a\":".repeat(40) + "1" + "}".repeat(40);
    assertThrows(JsonFormatException.class, () -> canonical(objects));
    String fine = "{\"a\":".repeat(20) + "1" + "}".repeat(20);
    assertTrue(assertDoesNotThrow(fine));
  }

  private static boolean assertDoesNotThrow(String json) {
    try {
      canonical(json);
      return true;
    } catch (JsonFormatException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void parse_whenOverSize_rejectsBeforeParsingAndNamesTheLimit() {
    byte[] garbage = new byte[1001];
    java.util.Arrays.fill(garbage, (byte) '{');
    JsonFormatException e = assertThrows(JsonFormatException.class,
        () -> CanonicalJson.parseCanonical(garbage, 1000, "thing"));
    assertTrue(e.getMessage().contains("1001") && e.getMessage().contains("1000")
        && e.getMessage().contains("thing"), e.getMessage());
  }

  @Test
  void parseCanonical_whenEscapesDifferFromOurs_rejects() {
    rejected("{\"a\":\"\\u0041\"}"); // A needs no escape
    rejected("{\"a\":\"\\/\"}");
    rejected("{\"a\":\"\\u000a\"}"); // short escape \n is the canonical one
    rejected("{\"a\":\"\\u00e9\"}"); // non-ASCII is literal
    rejected("{\"a\":\"\\ud800\"}"); // lone surrogate cannot be written back
  }

  @Test
  void parse_whenEmptyOrInvalidUtf8_rejects() {
    assertThrows(JsonFormatException.class, () -> CanonicalJson.parse(new byte[0], MAX, "doc"));
    byte[] bad = {'"', (byte) 0xC3, '"'};
    assertThrows(JsonFormatException.class, () -> CanonicalJson.parseCanonical(bad, MAX, "doc"));
    byte[] overlong = {'"', (byte) 0xC0, (byte) 0xAF, '"'};
    assertThrows(JsonFormatException.class, () -> CanonicalJson.parseCanonical(overlong, MAX, "doc"));
  }

  @Test
  void write_whenStringHasLoneSurrogate_rejects() {
    ObjectNode o = CanonicalJson.object();
    o.put("a", "x\uD800y");
    assertThrows(IllegalArgumentException.class, () -> CanonicalJson.write(o));
    ObjectNode k = CanonicalJson.object();
    k.put("\uDC00", 1);
    assertThrows(IllegalArgumentException.class, () -> CanonicalJson.write(k));
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalJson.write(JsonNodeFactory.instance.textNode("\uD83D")));
  }

  @Test
  void scalarsAndArraysKeepOrder() throws JsonFormatException {
    List<Integer> nums = new ArrayList<>(List.of(3, 1, 2));
    Collections.shuffle(nums);
    String json = "[" + nums.get(0) + "," + nums.get(1) + "," + nums.get(2) + "]";
    assertEquals(json, write(canonical(json)));
    assertEquals("\"x\"", write(canonical("\"x\"")));
    assertEquals("true", write(canonical("true")));
  }
}
