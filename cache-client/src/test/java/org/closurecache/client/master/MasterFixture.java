package org.closurecache.client.master;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
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
import org.closurecache.server.http.CacheServer;

/**
 * A real master on 127.0.0.1, port 0, over a store in a temporary directory, with a write and a
 * read token and a publisher key (the approach of cache-server's ServerFixture). {@link #put}
 * uploads with a plain JDK client so test set-up does not depend on the code under test.
 */
final class MasterFixture implements AutoCloseable {
  static final String WRITE_TOKEN = "write-token-0123456789abcdef";
  static final String READ_TOKEN = "read-token-0123456789abcdef";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  final Ed25519KeyPair publisher;
  final Signer signer;
  final CacheServer server;
  final URI url;

  /** A master trusting {@code publisher} (pass the same key pair to several masters to share a publisher). */
  MasterFixture(Path dir, Ed25519KeyPair publisher) throws IOException {
    Files.createDirectories(dir);
    this.publisher = publisher;
    this.signer = Signer.of(publisher);
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "write " + WRITE_TOKEN + "\nread " + READ_TOKEN + " reader\n");
    KeyFiles.writePublicKey(dir.resolve("publisher.pub"), publisher.publicKey(), false);
    Map<String, String> s = new TreeMap<>(Map.of(
        "store", dir.resolve("store").toString(),
        "listen", "127.0.0.1:0",
        "tokens-file", tokens.toString(),
        "publisher-keys", dir.resolve("publisher.pub").toString(),
        "shutdown-grace", "1s"));
    server = CacheServer.start(ServerConfig.defaults().with(s, dir));
    url = URI.create(server.baseUrl());
  }

  MasterFixture(Path dir) throws IOException {
    this(dir, Ed25519KeyPair.generate());
  }

  /** Uploads {@code content} as an object; answers its digest. */
  Digest put(byte[] content) throws IOException, InterruptedException {
    Digest d = Digest.of(content);
    HttpRequest req = HttpRequest.newBuilder(url.resolve("/v1/objects/" + d))
        .header("Authorization", "Bearer " + WRITE_TOKEN)
        .timeout(Duration.ofSeconds(20))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build();
    int status = HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    if (status != 201 && status != 200) {
      throw new IOException("set-up upload of " + d + " answered " + status);
    }
    return d;
  }

  /** A one-file manifest whose entry has {@code content}. */
  static Manifest manifestOf(byte[] content) {
    Digest d = Digest.of(content);
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put("/bin/x", FileEntry.of(d, content.length, 0755, 1_700_000_000L, Reason.ENTRY));
    return new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint("/bin/x", d), Optional.empty(),
        List.of(), files, new TreeMap<>(), new Launch(List.of("/bin/x"), new TreeMap<>(), "/"));
  }

  /** Options for {@code masters} with the write token and short timeouts suited to tests. */
  static MasterOptions options(List<URI> masters) {
    return new MasterOptions(masters, Optional.of(WRITE_TOKEN), Duration.ofSeconds(2), Duration.ofSeconds(10),
        Duration.ofSeconds(1), Duration.ofSeconds(1), 2);
  }

  @Override
  public void close() {
    server.close();
  }
}
