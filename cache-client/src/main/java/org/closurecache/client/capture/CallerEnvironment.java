package org.closurecache.client.capture;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment a command's caller started it with, which a capture records. A launch script
 * is a shell, and a shell adds {@code PWD}, {@code SHLVL} and {@code _} to the environment it
 * passes on; so the script hands over the block it was itself started with (NUL-separated
 * {@code NAME=VALUE} entries, as in {@code /proc/PID/environ}) in a file or pipe named by the
 * system property {@value #PROPERTY}. Without that property (the JVM started directly) the JVM's
 * own environment is the caller's. Entries are decoded as UTF-8; one without {@code =} or with an
 * empty name is skipped, and of repeated names the first wins, as {@code getenv} answers.
 * Thread-safe (no state).
 */
public final class CallerEnvironment {
  /** The system property naming the file (or {@code /proc/self/fd/N}) that holds the block. */
  public static final String PROPERTY = "closurecache.callerEnvironment";

  private CallerEnvironment() {}

  /** The caller's environment: the handed-over block when there is one, else this JVM's. */
  public static Map<String, String> get() throws IOException {
    String from = System.getProperty(PROPERTY);
    if (from == null) {
      return System.getenv();
    }
    byte[] block;
    try {
      block = Files.readAllBytes(Path.of(from));
    } catch (IOException e) {
      throw new IOException("cannot read the caller's environment from " + from + " (-D" + PROPERTY
          + "; the launch script sets it): " + e.getMessage(), e);
    }
    return parse(block);
  }

  /** Parses NUL-separated {@code NAME=VALUE} entries. */
  public static Map<String, String> parse(byte[] block) {
    Map<String, String> env = new LinkedHashMap<>();
    int start = 0;
    for (int i = 0; i <= block.length; i++) {
      if (i == block.length || block[i] == 0) {
        String entry = new String(block, start, i - start, StandardCharsets.UTF_8);
        int eq = entry.indexOf('=');
        if (eq > 0) {
          env.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
        }
        start = i + 1;
      }
    }
    return Collections.unmodifiableMap(env);
  }
}
