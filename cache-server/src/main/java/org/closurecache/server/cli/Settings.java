package org.closurecache.server.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.closurecache.server.config.ServerConfig;

/** Defaults, then the config file, then flags: the precedence every server command uses. */
final class Settings {
  private Settings() {}

  static ServerConfig load(Path configFile, Map<String, String> flags) throws IOException {
    ServerConfig cfg = ServerConfig.defaults();
    if (configFile != null) {
      Path base = configFile.toAbsolutePath().getParent();
      cfg = cfg.with(ServerConfig.readFile(configFile), base);
    }
    return cfg.with(flags, Path.of("").toAbsolutePath());
  }

  static void put(Map<String, String> settings, String key, Object value) {
    if (value != null) {
      settings.put(key, value.toString());
    }
  }
}
