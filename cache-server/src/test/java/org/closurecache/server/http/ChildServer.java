package org.closurecache.server.http;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.closurecache.server.cli.CacheServerMain;

/**
 * {@code cache-server serve} in a child JVM (the real main class, the real signals), on a port
 * picked by binding port 0 and closing it. Its stderr goes to a log file quoted in failures.
 */
final class ChildServer implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  final Process process;
  final int port;
  final Path log;

  private ChildServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Starts the server and waits (bounded) until /healthz answers 200. */
  static ChildServer start(Path store, Path tokens, Path log, String... extra) throws Exception {
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) { // another process may take the free port first
      int port = freePort();
      List<String> cmd = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-cp", System.getProperty("java.class.path"), CacheServerMain.class.getName(),
          "serve", "--store", store.toString(), "--listen", "127.0.0.1:" + port,
          "--tokens-file", tokens.toString()));
      cmd.addAll(List.of(extra));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      ChildServer child = new ChildServer(p, port, log);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && p.isAlive()) {
        if (child.healthy()) {
          return child;
        }
        p.waitFor(50, TimeUnit.MILLISECONDS);
      }
      last = new IOException("child server did not come up on port " + port + ": " + child.logText());
      child.close();
    }
    throw last;
  }

  boolean healthy() {
    return healthStatus() == 200;
  }

  /** The status of GET /healthz on a new connection, -1 when there is no answer. */
  int healthStatus() {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/healthz"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGKILL, and wait (bounded) for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      throw new IllegalStateException("child server survived SIGKILL for 20 s");
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
