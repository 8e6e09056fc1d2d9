package org.closurecache.client.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cache.Waiter;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.master.MasterOptions;
import org.closurecache.client.progress.Progress;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.EntryPoint;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Launch;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Reason;
import org.closurecache.core.manifest.Ref;
import org.closurecache.core.sign.Ed25519KeyPair;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.core.sign.Signer;
import org.closurecache.core.sign.TrustedKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress moves with bytes, not objects: while one large object streams, the line (and the bar)
 * already show its bytes. The master is a small HTTP server on 127.0.0.1 that sends the first MiB
 * of the object, then holds the rest until the test has seen progress.
 */
class PullerProgressTest {
  static final int SIZE = 8 << 20;
  static final int FIRST = 1 << 20;

  @TempDir Path dir;
  HttpServer fake;
  byte[] object = new byte[SIZE];
  Digest manifest;
  byte[] envelope;
  TrustedKeys trust;
  final CountDownLatch release = new CountDownLatch(1);

  /** A writer whose text a test can wait on. */
  static final class Watched extends Writer {
    private final StringBuilder text = new StringBuilder();

    @Override
    public synchronized void write(char[] buf, int off, int len) {
      text.append(buf, off, len);
      notifyAll();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    synchronized String text() {
      return text.toString();
    }

    /** Waits, at most {@code limit}, until the text satisfies {@code condition}; answers whether it did. */
    synchronized boolean await(Predicate<String> condition, Duration limit) throws InterruptedException {
      long end = System.nanoTime() + limit.toNanos();
      while (!condition.test(text.toString())) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }

  @BeforeEach
  void start() throws Exception {
    new Random(5).nextBytes(object);
    Ed25519KeyPair publisher = Ed25519KeyPair.generate();
    trust = TrustedKeys.of(List.of(publisher.publicKey()));
    Digest d = Digest.of(object);
    SortedMap<String, FileEntry> files = new TreeMap<>();
    files.put("/opt/big/bin/big", FileEntry.of(d, SIZE, 0755, 1_650_000_000L, Reason.ENTRY));
    Manifest m = new Manifest(Manifest.SCHEMA, "x86_64-linux-gnu", "test", new EntryPoint("/opt/big/bin/big", d),
        Optional.empty(), List.of(), files, new TreeMap<>(), new Launch(List.of("/opt/big/bin/big"), new TreeMap<>(), "/"));
    SignedManifest signed = SignedManifest.sign(m, Signer.of(publisher));
    manifest = signed.manifestDigest();
    envelope = signed.toBytes();
    fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    fake.setExecutor(Executors.newCachedThreadPool());
    fake.createContext("/", this::serve);
    fake.start();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/v1/manifests/" + manifest)) {
        exchange.sendResponseHeaders(200, envelope.length);
        exchange.getResponseBody().write(envelope);
      } else if (path.equals("/v1/objects/" + Digest.of(object))) {
        exchange.sendResponseHeaders(200, SIZE);
        OutputStream out = exchange.getResponseBody();
        out.write(object, 0, FIRST);
        out.flush();
        release.await(30, TimeUnit.SECONDS); // bounded: the test releases it once it has seen progress
        out.write(object, FIRST, SIZE - FIRST);
      } else {
        byte[] body = "{\"error\":\"not-found\",\"message\":\"no such thing\"}".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(404, body.length);
        exchange.getResponseBody().write(body);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @AfterEach
  void stop() {
    release.countDown();
    fake.stop(0);
  }

  /** Pulls with progress to a watched writer; answers the text seen while the object was held. */
  private String pullAndWatch(boolean tty, Predicate<String> duringObject, Watched out) throws Exception {
    URI url = URI.create("http://127.0.0.1:" + fake.getAddress().getPort());
    try (MasterClient master = MasterClient.create(new MasterOptions(List.of(url), Optional.empty(),
            Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(1), 1));
        NodeCache cache = NodeCache.open(dir.resolve("cache"), Waiter.silent())) {
      Progress progress = new Progress(new PrintWriter(out, true), tty, "pulling");
      CompletableFuture<Puller.Result> pull = CompletableFuture.supplyAsync(() -> {
        try {
          return new Puller(master, cache, trust, 2).pull(Ref.of(manifest), progress);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      boolean seen = out.await(duringObject, Duration.ofSeconds(20));
      String during = out.text();
      release.countDown();
      Puller.Result r = pull.get(30, TimeUnit.SECONDS);
      assertEquals(1, r.fetched());
      assertTrue(seen, "while the object streamed, progress showed: " + during);
      assertTrue(cache.isComplete(manifest));
      assertTrue(Files.isRegularFile(cache.layout().objectPath(Digest.of(object))));
      return during;
    }
  }

  @Test
  void pull_progressLine_showsBytesWhileOneLargeObjectStreams() throws Exception {
    Watched out = new Watched();
    String during = pullAndWatch(false, t -> t.contains("pulling 0/1 objects, ") && !t.contains("0/1 objects, 0 B/"),
        out);
    assertTrue(during.startsWith("pulling 0/1 objects, "), during);
    assertFalse(during.contains("1/1 objects"), "the object was still being held: " + during);
    List<String> lines = out.text().lines().toList();
    assertTrue(lines.get(lines.size() - 1).startsWith("pulling 1/1 objects, 8.0 MiB/8.0 MiB, "), out.text());
  }

  @Test
  void pull_progressBar_fillsWithBytesWhileOneLargeObjectStreams() throws Exception {
    Watched out = new Watched();
    String during = pullAndWatch(true, t -> t.contains("] pulling 0/1 objects, ") && !t.contains("0/1 objects, 0 B/"),
        out);
    assertTrue(during.startsWith("\r["), during);
    assertFalse(during.contains("1/1 objects"), "the object was still being held: " + during);
    assertTrue(out.text().contains("\r[" + "#".repeat(30) + "] pulling 1/1 objects, 8.0 MiB/8.0 MiB"), out.text());
  }
}
