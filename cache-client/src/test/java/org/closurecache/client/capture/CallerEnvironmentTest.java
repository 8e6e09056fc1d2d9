package org.closurecache.client.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallerEnvironmentTest {
  @TempDir Path dir;

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void parse_keepsValuesWithNewlinesAndEquals_skipsWhatIsNoEntry_firstOfARepeatWins() {
    Map<String, String> env = CallerEnvironment.parse(bytes(
        "PATH=/usr/bin\0MULTI=a\nb=c\0EMPTY=\0noequals\0=noname\0\0PATH=/second\0CAF\u00c9=th\u00e9\0"));
    assertEquals(Map.of("PATH", "/usr/bin", "MULTI", "a\nb=c", "EMPTY", "", "CAF\u00c9", "th\u00e9"), env);
  }

  @Test
  void parse_ofNothingOrOneNul_isEmpty() {
    assertEquals(Map.of(), CallerEnvironment.parse(new byte[0]));
    assertEquals(Map.of(), CallerEnvironment.parse(new byte[1]));
  }

  @Test
  void get_readsTheHandedOverBlock_andWithoutTheProperty_isThisJvmsEnvironment() throws IOException {
    Path block = Files.write(dir.resolve("env"), bytes("HOME=/x\0PATH=/usr/bin\0"));
    String before = System.getProperty(CallerEnvironment.PROPERTY);
    try {
      System.clearProperty(CallerEnvironment.PROPERTY);
      assertEquals(System.getenv(), CallerEnvironment.get());
      System.setProperty(CallerEnvironment.PROPERTY, block.toString());
      assertEquals(Map.of("HOME", "/x", "PATH", "/usr/bin"), CallerEnvironment.get());
      System.setProperty(CallerEnvironment.PROPERTY, dir.resolve("missing").toString());
      IOException e = assertThrows(IOException.class, CallerEnvironment::get);
      assertTrue(e.getMessage().startsWith("cannot read the caller's environment from " + dir.resolve("missing")),
          e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(CallerEnvironment.PROPERTY);
      } else {
        System.setProperty(CallerEnvironment.PROPERTY, before);
      }
    }
  }
}
