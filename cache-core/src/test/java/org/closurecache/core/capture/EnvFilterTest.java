package org.closurecache.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class EnvFilterTest {
  @Test
  void defaults_dropCredentialsAndKeepTheRest() {
    EnvFilter f = EnvFilter.defaults();
    for (String secret : List.of("MY_API_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "SSH_AUTH_SOCK",
        "GITHUB_TOKEN", "token", "Db_Password", "KRB5CCNAME", "XDG_SESSION_ID", "PGPASSFILE", "MYSQL_PWD",
        "AWS_ACCESS_KEY_ID", "OPENAI_API_KEY", "HISTFILE", "DBUS_SESSION_BUS_ADDRESS", "GPG_AGENT_INFO",
        "BASIC_AUTH", "PROXY_AUTH_USER", "AUTH_KEY", "HTTP_AUTHORIZATION", "NGROK_AUTHTOKEN")) {
      assertFalse(f.keeps(secret), secret);
    }
    for (String normal : List.of("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "LD_LIBRARY_PATH", "TERM",
        "SSH", "USER", "OMP_NUM_THREADS", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "AUTHOR")) {
      assertTrue(f.keeps(normal), normal);
    }
  }

  @Test
  void globs_matchWholeNamesCaseInsensitively() {
    EnvFilter f = new EnvFilter(List.of("FOO", "BAR*", "*BAZ", "A*B*C"), List.of());
    assertFalse(f.keeps("foo"));
    assertTrue(f.keeps("FOOD"), "no implicit wildcard");
    assertTrue(f.keeps("XFOO"));
    assertFalse(f.keeps("BAR"));
    assertFalse(f.keeps("barrel"));
    assertTrue(f.keeps("XBAR"));
    assertFalse(f.keeps("XBAZ"));
    assertTrue(f.keeps("BAZX"));
    assertFalse(f.keeps("AxxBxxC"));
    assertFalse(f.keeps("ABC"));
    assertTrue(f.keeps("ACB"));
  }

  @Test
  void regexCharactersInPatterns_areLiteral() {
    EnvFilter f = new EnvFilter(List.of("A.B", "X+", "(Q)", "[Z]", "?"), List.of());
    assertFalse(f.keeps("A.B"));
    assertTrue(f.keeps("AXB"));
    assertFalse(f.keeps("X+"));
    assertTrue(f.keeps("XX"));
    assertFalse(f.keeps("(Q)"));
    assertTrue(f.keeps("Q"));
    assertFalse(f.keeps("[Z]"));
    assertTrue(f.keeps("Z"));
    assertTrue(f.keeps("A"), "? is not a wildcard here");
  }

  @Test
  void keepPatterns_readmitDroppedNames() {
    EnvFilter f = EnvFilter.defaults().with(List.of("CUSTOM_*"), List.of("PUBLIC_TOKEN*", "BASIC_AUTH"));
    assertTrue(f.keeps("PUBLIC_TOKEN_URL"));
    assertTrue(f.keeps("BASIC_AUTH"), "*_AUTH would drop it");
    assertFalse(f.keeps("PRIVATE_TOKEN"));
    assertFalse(f.keeps("custom_thing"));
    assertTrue(f.keeps("PATH"));
    assertTrue(EnvFilter.defaults().keeps("CUSTOM_THING"), "with() returns a new filter");
    assertFalse(EnvFilter.defaults().keeps("BASIC_AUTH"));
  }

  @Test
  void apply_sortsAndFilters() {
    Map<String, String> env = new TreeMap<>(Map.of("PATH", "/usr/bin", "MY_API_TOKEN", "t", "B", "", "A", "1"));
    assertEquals(Map.of("A", "1", "B", "", "PATH", "/usr/bin"), EnvFilter.defaults().apply(env));
    assertEquals(List.of("A", "B", "PATH"), List.copyOf(EnvFilter.defaults().apply(env).keySet()));
  }

  @Test
  void emptyFilter_keepsEverything() {
    EnvFilter f = new EnvFilter(List.of(), List.of());
    assertTrue(f.keeps("AWS_SECRET_ACCESS_KEY"));
    assertTrue(new EnvFilter(List.of("*"), List.of()).apply(Map.of("X", "1")).isEmpty());
  }
}
