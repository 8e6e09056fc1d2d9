package org.closurecache.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** Settings files: Java properties in UTF-8 ({@code key = value}, {@code #} comments), values trimmed. */
public final class PropertiesFile {
  private PropertiesFile() {}

  public static Map<String, String> read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> out = new TreeMap<>();
    for (String name : p.stringPropertyNames()) {
      out.put(name, p.getProperty(name).strip());
    }
    return out;
  }
}
