package org.closurecache.server.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.closurecache.server.config.ServerConfig;
import org.closurecache.server.http.CacheServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-server serve}: run the master until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Serves the content-addressed store over HTTP (API v1: objects, the missing-objects batch, signed manifests and tags, /healthz, /metrics). On start it empties the store's temp area and reconciles its index with the object files; on SIGTERM it stops accepting, lets requests in flight finish (shutdown-grace), and exits 0.",
        "",
        "Settings come from defaults, then --config FILE (Java properties: store, listen, max-object-size, tokens-file, reads-open, publisher-keys, tls-cert, tls-key, max-missing-batch, idle-timeout, request-parse-timeout, body-timeout, upload-timeout, max-header-size, io-threads, worker-threads, upload-threads, shutdown-grace), then these flags."},
    footer = {"", "Examples:",
        "  cache-server serve",
        "  cache-server serve --store /srv/closure-cache --listen 0.0.0.0:7070 --tokens-file /etc/closure-cache/tokens \\",
        "      --publisher-key /etc/closure-cache/publisher.pub"})
final class ServeCommand implements Callable<Integer> {
  // Held strongly: java.util.logging forgets the level of a logger nobody references.
  private static final Logger XNIO_LOG = Logger.getLogger("org.xnio");
  private static final Logger UNDERTOW_LOG = Logger.getLogger("io.undertow");

  @Spec CommandSpec spec;

  @Option(names = "--store", paramLabel = "DIR", description = "The store's directory (default var/store).")
  Path store;

  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address to listen on (default 127.0.0.1:7070; port 0 picks a free one).")
  String listen;

  @Option(names = "--config", paramLabel = "FILE", description = "A properties file of settings; flags override it.")
  Path config;

  @Option(names = "--tokens-file", paramLabel = "FILE", description = "Bearer tokens, one per line: 'read TOKEN' or 'write TOKEN'. Without it nothing can be written.")
  Path tokensFile;

  @Option(names = "--reads-open", paramLabel = "BOOL", description = "Whether reads need no token (default true).")
  Boolean readsOpen;

  @Option(names = "--publisher-key", paramLabel = "FILE", description = "A publisher's public key (.pub); manifests and tags must be signed by one. Repeatable.")
  List<Path> publisherKeys;

  @Option(names = "--max-object-size", paramLabel = "SIZE", description = "Largest object accepted (default 4G).")
  String maxObjectSize;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain: serve HTTPS (needs --tls-key).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM PKCS#8 private key for --tls-cert.")
  Path tlsKey;

  @Override
  public Integer call() throws Exception {
    // Their start-up banners are noise next to the one line this command prints.
    XNIO_LOG.setLevel(Level.WARNING);
    UNDERTOW_LOG.setLevel(Level.WARNING);
    ServerConfig cfg = Settings.load(config, flags());
    CacheServer server = CacheServer.start(cfg);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "cache-server-shutdown"));
    stopOnSigterm(server);
    var err = spec.commandLine().getErr();
    err.printf("cache-server: serving %s on %s (%d objects, %d bytes)%n", cfg.store().toAbsolutePath(),
        server.baseUrl(), server.store().index().objectCount(), server.store().index().objectBytes());
    err.flush();
    server.awaitStop();
    return 0;
  }

  /**
   * SIGTERM is how service managers stop a server normally, so it is a clean stop: close (grace
   * for requests in flight), let {@link #call} return, exit 0. Left to the JVM, SIGTERM runs the
   * shutdown hook but the process exits 143, which systemd and scripts count as a failure. The
   * hook above still covers SIGINT and {@code -Xrs}, where this handler cannot be installed.
   */
  @SuppressWarnings("removal")
  private static void stopOnSigterm(CacheServer server) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> server.close());
    } catch (IllegalArgumentException | UnsupportedOperationException unavailable) {
      // the JVM keeps SIGTERM (e.g. -Xrs): the shutdown hook closes the server, exit status 143
    }
  }

  private Map<String, String> flags() {
    Map<String, String> f = new TreeMap<>();
    Settings.put(f, "store", store);
    Settings.put(f, "listen", listen);
    Settings.put(f, "tokens-file", tokensFile);
    Settings.put(f, "reads-open", readsOpen);
    Settings.put(f, "max-object-size", maxObjectSize);
    Settings.put(f, "tls-cert", tlsCert);
    Settings.put(f, "tls-key", tlsKey);
    if (publisherKeys != null) {
      f.put("publisher-keys", String.join(",", publisherKeys.stream().map(Path::toString).toList()));
    }
    return f;
  }
}
