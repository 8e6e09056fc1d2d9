package org.closurecache.client.e2e;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.closurecache.client.cli.CacheClientMain;
import org.closurecache.core.cli.Cli;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;

/**
 * The whole story in one test process: masters on port 0 with a write token and a publisher key
 * on disk, and {@code cache-client} commands run in process against them.
 */
final class Node implements AutoCloseable {
  static final String TOKEN = "write-token-e2e-0123456789abcdef";

  final Path dir;
  final Path key;
  final Path pub;
  final Path tokens;
  final List<CacheServer> servers = new ArrayList<>();

  Node(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
    KeyFiles.writeKeyPair(dir.resolve("publisher"), false);
    key = dir.resolve("publisher.key");
    pub = dir.resolve("publisher.pub");
    tokens = dir.resolve("tokens");
    Files.writeString(tokens, "write " + TOKEN + "\n");
  }

  /** Starts a master with its own store that trusts this node's publisher key. */
  CacheServer master(String name) throws IOException {
    Map<String, String> s = new TreeMap<>(Map.of(
        "store", dir.resolve(name).toString(),
        "listen", "127.0.0.1:0",
        "tokens-file", tokens.toString(),
        "publisher-keys", pub.toString(),
        "shutdown-grace", "1s"));
    CacheServer server = CacheServer.start(ServerConfig.defaults().with(s, dir));
    servers.add(server);
    return server;
  }

  record Run(int status, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Cli.run(new CacheClientMain(), new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(status, out.toString(), err.toString());
  }

  Run publish(CacheServer master, String tag, String... program) {
    List<String> args = new ArrayList<>(List.of("publish", "--master", master.baseUrl(), "--key", key.toString(),
        "--token-file", tokens.toString(), "--quiet"));
    if (tag != null) {
      args.addAll(List.of("--tag", tag));
    }
    args.add("--");
    args.addAll(List.of(program));
    return cli(args.toArray(new String[0]));
  }

  Run pull(String masters, Path cache, String ref) {
    return cli("pull", "--json", "--master", masters, "--cache", cache.toString(), "--trust", pub.toString(), ref);
  }

  /** The classpath and java of this test JVM, for child processes. */
  static List<String> javaCommand(String main, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(args);
    return cmd;
  }

  static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    servers.forEach(CacheServer::close);
  }
}
