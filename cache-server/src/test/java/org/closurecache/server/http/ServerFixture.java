package org.closurecache.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.core.sign.Signer;
import org.closurecache.server.config.ServerConfig;

/** A real server on port 0 over a store in a temporary directory, with tokens and a publisher key. */
final class ServerFixture implements AutoCloseable {
  static final String WRITE_TOKEN = "write-token-0123456789abcdef";
  static final String READ_TOKEN = "read-token-0123456789abcdef";

  final Path dir;
  final Ed25519KeyPair publisher = Ed25519KeyPair.generate();
  final Signer signer = Signer.of(publisher);
  final CacheServer server;
  final String url;

  ServerFixture(Path dir, Map<String, String> settings) throws IOException {
    this.dir = Files.createDirectories(dir);
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "# test credentials\nwrite " + WRITE_TOKEN + "\nread " + READ_TOKEN + " reader\n");
    KeyFiles.writePublicKey(dir.resolve("publisher.pub"), publisher.publicKey(), false);
    Map<String, String> s = new TreeMap<>(Map.of(
        "store", dir.resolve("store").toString(),
        "listen", "127.0.0.1:0",
        "tokens-file", tokens.toString(),
        "publisher-keys", dir.resolve("publisher.pub").toString(),
        "shutdown-grace", "5s"));
    s.putAll(settings);
    server = CacheServer.start(ServerConfig.defaults().with(s, dir));
    url = server.baseUrl();
  }

  @Override
  public void close() {
    server.close();
  }

  /** A one-file manifest whose entry has {@code content}. */
  static Manifest manifestOf(byte[] content) {
    Digest d = Digest.of(content);
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put("/bin/x", FileEntry.of(d, content.length, 0755, 1_700_000_000L, Reason.ENTRY));
    return new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint("/bin/x", d), Optional.empty(),
        List.of(), files, new TreeMap<>(), new Launch(List.of("/bin/x"), new TreeMap<>(), "/"));
  }

  record Curl(int status, String headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** Runs curl (the real client) with {@code args}; answers status, headers and body. */
  Curl curl(String... args) throws IOException, InterruptedException {
    Path headers = Files.createTempFile(dir, "h", ".txt");
    Path body = Files.createTempFile(dir, "b", ".bin");
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "-D", headers.toString(),
        "-o", body.toString(), "-w", "%{http_code}"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("curl hung: " + cmd);
    }
    int status = Integer.parseInt(out.substring(Math.max(0, out.length() - 3)));
    Curl c = new Curl(status, Files.readString(headers), Files.readAllBytes(body));
    Files.delete(headers);
    Files.delete(body);
    return c;
  }
}
