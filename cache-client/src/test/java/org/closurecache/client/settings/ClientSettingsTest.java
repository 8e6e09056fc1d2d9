package org.closurecache.client.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Where each setting comes from: defaults, then the config file, the environment, the flags. */
class ClientSettingsTest {
  @TempDir Path dir;

  private static final Path CWD = Path.of("").toAbsolutePath();

  /** A config file under {@code dir/conf} (so its folder differs from the working directory). */
  private Path config(String text) throws IOException {
    Path file = Files.createDirectories(dir.resolve("conf")).resolve(text.isEmpty() ? "empty.properties"
        : "client.properties");
    Files.writeString(file, text);
    return file;
  }

  /** One value per source for a key, and what each value resolves to. */
  private record Key(String name, String env, String[] values, Function<ClientSettings, Object> get,
      Function<String, Object> fromConfig, Function<String, Object> fromCwd) {}

  private List<Key> keys() {
    Path confDir = dir.resolve("conf");
    return List.of(
        new Key("masters", "CLOSURE_CACHE_MASTERS",
            new String[] {"http://config:1", "http://env:2,https://env2:3/", "http://flag:4"},
            ClientSettings::masters, ClientSettingsTest::uris, ClientSettingsTest::uris),
        new Key("cache", "CLOSURE_CACHE_CACHE", new String[] {"c-config", "c-env", "/abs/c-flag"},
            ClientSettings::cache, confDir::resolve, CWD::resolve),
        new Key("trust", "CLOSURE_CACHE_TRUST", new String[] {"a.pub, b.pub", "e.pub", "/k/f.pub"},
            ClientSettings::trust, v -> paths(confDir, v), v -> paths(CWD, v)),
        new Key("token-file", "CLOSURE_CACHE_TOKEN_FILE", new String[] {"tok-config", "tok-env", "tok-flag"},
            ClientSettings::tokenFile, v -> Optional.of(confDir.resolve(v)), v -> Optional.of(CWD.resolve(v))),
        new Key("parallelism", "CLOSURE_CACHE_PARALLELISM", new String[] {"3", "5", "7"},
            ClientSettings::parallelism, Integer::valueOf, Integer::valueOf),
        new Key("quota", "CLOSURE_CACHE_QUOTA", new String[] {"1K", "2M", "3G"},
            ClientSettings::quota, v -> Optional.of(org.closurecache.core.config.Units.parseSize(v)),
            v -> Optional.of(org.closurecache.core.config.Units.parseSize(v))),
        new Key("lock-timeout", "CLOSURE_CACHE_LOCK_TIMEOUT", new String[] {"30s", "5m", "250ms"},
            ClientSettings::lockTimeout, org.closurecache.core.config.Units::parseDuration,
            org.closurecache.core.config.Units::parseDuration));
  }

  private static Object uris(String list) {
    return java.util.Arrays.stream(list.split(",")).map(s -> URI.create(s.strip().replaceAll("/+$", ""))).toList();
  }

  private static Object paths(Path base, String list) {
    return java.util.Arrays.stream(list.split(",")).map(s -> base.resolve(s.strip())).toList();
  }

  @Test
  void defaults_whenNoSourceSaysAnything() throws Exception {
    ClientSettings s = ClientSettings.resolve(Map.of(), Map.of(), Optional.of(config("")));
    assertEquals(ClientSettings.defaults(), s);
    assertEquals(List.of(URI.create("http://127.0.0.1:7070")), s.masters());
    assertEquals(Path.of("var/cache"), s.cache());
    assertEquals(8, s.parallelism());
    assertEquals(Optional.empty(), s.quota());
    assertEquals(Optional.empty(), s.tokenFile());
    assertEquals(java.time.Duration.ofMinutes(10), s.lockTimeout());
    assertEquals(List.of(), s.trust());
    assertEquals(Optional.empty(), s.token());
  }

  @Test
  void everyKey_configBeatsDefaults_envBeatsConfig_flagsBeatEnv() throws Exception {
    ClientSettings defaults = ClientSettings.defaults();
    for (Key k : keys()) {
      Path conf = config(k.name() + " = " + k.values()[0] + "\n");
      Map<String, String> env = Map.of(k.env(), k.values()[1]);
      Map<String, String> flags = Map.of(k.name(), k.values()[2]);

      assertEquals(k.get().apply(defaults), k.get().apply(ClientSettings.resolve(Map.of(), Map.of(), Optional.of(config("")))),
          k.name() + ": default");
      assertEquals(k.fromConfig().apply(k.values()[0]),
          k.get().apply(ClientSettings.resolve(Map.of(), Map.of(), Optional.of(conf))), k.name() + ": config file");
      assertEquals(k.fromCwd().apply(k.values()[1]),
          k.get().apply(ClientSettings.resolve(Map.of(), env, Optional.of(conf))), k.name() + ": environment over config");
      assertEquals(k.fromCwd().apply(k.values()[2]),
          k.get().apply(ClientSettings.resolve(flags, env, Optional.of(conf))), k.name() + ": flags over environment");
      assertEquals(k.fromCwd().apply(k.values()[2]),
          k.get().apply(ClientSettings.resolve(flags, Map.of(), Optional.of(config("")))), k.name() + ": flags alone");
      // a blank environment variable counts as unset
      assertEquals(k.fromConfig().apply(k.values()[0]),
          k.get().apply(ClientSettings.resolve(Map.of(), Map.of(k.env(), "  "), Optional.of(conf))), k.name() + ": blank env");
    }
  }

  @Test
  void sourcesMix_eachKeyFromItsHighestSource() throws Exception {
    Path conf = config("masters=http://config:1\ncache=cc\nparallelism=3\nquota=1M\ntrust=t.pub\n");
    ClientSettings s = ClientSettings.resolve(Map.of("parallelism", "9"),
        Map.of("CLOSURE_CACHE_CACHE", "/env/cache", "CLOSURE_CACHE_QUOTA", "2G"), Optional.of(conf));
    assertEquals(List.of(URI.create("http://config:1")), s.masters());
    assertEquals(Path.of("/env/cache"), s.cache());
    assertEquals(9, s.parallelism());
    assertEquals(Optional.of(2L << 30), s.quota());
    assertEquals(List.of(dir.resolve("conf/t.pub")), s.trust());
  }

  @Test
  void configFile_fromEnvironment_whenNoFlag_andTheFlagWins() throws Exception {
    Path fromEnv = Files.createDirectories(dir.resolve("envconf")).resolve("c.properties");
    Files.writeString(fromEnv, "cache=from-env-config\n");
    Path fromFlag = config("cache=from-flag-config\n");
    Map<String, String> env = Map.of("CLOSURE_CACHE_CONFIG", fromEnv.toString());
    assertEquals(dir.resolve("envconf/from-env-config"), ClientSettings.resolve(Map.of(), env, Optional.empty()).cache());
    assertEquals(dir.resolve("conf/from-flag-config"), ClientSettings.resolve(Map.of(), env, Optional.of(fromFlag)).cache());
  }

  @Test
  void configFile_relativeName_resolvesPathsAgainstItsOwnFolder() throws Exception {
    Path conf = config("cache=../cache\ntoken-file=secret/tokens\ntrust=/abs/k.pub,rel.pub\n");
    Path relative = CWD.relativize(conf);
    assertTrue(!relative.isAbsolute() && !relative.getParent().equals(CWD), relative::toString);
    ClientSettings s = ClientSettings.resolve(Map.of(), Map.of(), Optional.of(relative));
    assertEquals(dir.resolve("cache"), s.cache().normalize());
    assertEquals(dir.resolve("conf/secret/tokens"), s.tokenFile().orElseThrow().normalize());
    assertEquals(List.of(Path.of("/abs/k.pub"), dir.resolve("conf/rel.pub")),
        s.trust().stream().map(Path::normalize).toList());
  }

  @Test
  void configFile_missing_isAnErrorNamingIt() {
    Path missing = dir.resolve("nope.properties");
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> ClientSettings.resolve(Map.of(), Map.of(), Optional.of(missing)));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void unknownKey_namesTheSourceAndListsKnownKeys() throws Exception {
    Path conf = config("masters=http://a:1\ncahce=/x\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClientSettings.resolve(Map.of(), Map.of(), Optional.of(conf)));
    assertTrue(e.getMessage().startsWith("config file " + conf + ": unknown setting 'cahce'"), e.getMessage());
    assertTrue(e.getMessage().endsWith("known: cache, lock-timeout, masters, parallelism, quota, token-file, trust"), e.getMessage());
    IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
        () -> ClientSettings.resolve(Map.of("colour", "blue"), Map.of(), Optional.of(config(""))));
    assertTrue(f.getMessage().startsWith("flags: unknown setting 'colour'"), f.getMessage());
  }

  private IllegalArgumentException fromEnv(String var, String value) {
    return assertThrows(IllegalArgumentException.class,
        () -> ClientSettings.resolve(Map.of(), Map.of(var, value), Optional.of(config(""))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://host:1", "host:7070", "http://", "http://a b", "http:///path", "127.0.0.1"})
  void badMasterUrl_namesTheSourceTheKeyAndTheValue(String url) {
    IllegalArgumentException e = fromEnv("CLOSURE_CACHE_MASTERS", "http://good:1," + url);
    assertTrue(e.getMessage().startsWith("environment: masters: a master must be an http(s)://HOST[:PORT] URL"),
        e.getMessage());
    assertTrue(e.getMessage().contains("'" + url + "'"), e.getMessage());
  }

  @Test
  void emptyMasterList_isRefused() {
    IllegalArgumentException e = fromEnv("CLOSURE_CACHE_MASTERS", ",");
    assertEquals("environment: at least one master is needed", e.getMessage());
  }

  @Test
  void badParallelism_namesTheSourceAndTheKey() throws Exception {
    for (String bad : List.of("0", "257", "-1", "many", "1.5")) {
      IllegalArgumentException e = fromEnv("CLOSURE_CACHE_PARALLELISM", bad);
      assertTrue(e.getMessage().startsWith("environment: "), e.getMessage());
      assertTrue(e.getMessage().contains("parallelism") && e.getMessage().contains(bad), e.getMessage());
    }
    Path conf = config("parallelism=lots\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClientSettings.resolve(Map.of(), Map.of(), Optional.of(conf)));
    assertEquals("config file " + conf + ": parallelism: not a whole number: 'lots'", e.getMessage());
    assertEquals(256, ClientSettings.resolve(Map.of("parallelism", " 256 "), Map.of(), Optional.of(config(""))).parallelism());
  }

  @Test
  void badQuota_namesTheSourceAndTheKey() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClientSettings.resolve(Map.of("quota", "ten gigs"), Map.of(), Optional.of(config(""))));
    assertTrue(e.getMessage().startsWith("flags: quota: not a size: 'ten gigs'"), e.getMessage());
    IllegalArgumentException neg = fromEnv("CLOSURE_CACHE_QUOTA", "-5G");
    assertTrue(neg.getMessage().startsWith("environment: quota: "), neg.getMessage());
    assertEquals(Optional.of(20L << 30),
        ClientSettings.resolve(Map.of(), Map.of("CLOSURE_CACHE_QUOTA", "20GiB"), Optional.of(config(""))).quota());
  }

  private ClientSettings withTokenFile(String text) throws IOException {
    Path file = dir.resolve("tokens");
    Files.writeString(file, text);
    Map<String, String> flags = new HashMap<>(Map.of("token-file", file.toString()));
    return ClientSettings.resolve(flags, Map.of(), Optional.of(config("")));
  }

  @Test
  void token_bareOrServerLine_skippingCommentsAndBlankLines() throws Exception {
    assertEquals(Optional.of("abc123"), withTokenFile("abc123\n").token());
    assertEquals(Optional.of("abc123"), withTokenFile("  abc123  ").token());
    assertEquals(Optional.of("s3cret"), withTokenFile("# the write token\n\n   \nwrite s3cret\n").token());
    assertEquals(Optional.of("r3ad"), withTokenFile("read r3ad\nwrite other\n").token());
    assertEquals(Optional.of("first"), withTokenFile("first\nsecond\n").token());
  }

  @Test
  void token_emptyOrOnlyComments_isAnErrorNamingTheFile() throws Exception {
    for (String text : List.of("", "\n\n", "# nothing here\n   # nor here\n")) {
      ClientSettings s = withTokenFile(text);
      IOException e = assertThrows(IOException.class, s::token);
      assertEquals(dir.resolve("tokens") + " holds no token", e.getMessage());
    }
  }

  @Test
  void token_missingFile_isAnErrorNamingIt() throws Exception {
    ClientSettings s = ClientSettings.resolve(Map.of("token-file", dir.resolve("absent").toString()), Map.of(),
        Optional.of(config("")));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, s::token);
    assertTrue(e.getMessage().contains("absent"), e.getMessage());
  }
}
