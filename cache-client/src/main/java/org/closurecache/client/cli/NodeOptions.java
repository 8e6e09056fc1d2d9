package org.closurecache.client.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.master.MasterOptions;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.sign.TrustedKeys;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where the masters, the cache and the trusted keys are: flags here, else the environment, else
 * the config file, else defaults ({@link ClientSettings}). A bad {@code --master} is a usage error
 * (exit 2); a bad value from the environment or a config file is a failure (exit 1) naming where
 * it came from.
 */
public final class NodeOptions {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--master", paramLabel = "URL[,URL...]", description = "Masters or proxies, in order of preference (default http://127.0.0.1:7070; env CLOSURE_CACHE_MASTERS).")
  String masters;

  @Option(names = "--cache", paramLabel = "DIR", description = "The node cache (default var/cache; env CLOSURE_CACHE_CACHE).")
  Path cache;

  @Option(names = "--trust", paramLabel = "PUBKEY[,PUBKEY...]", description = "Public keys (.pub) whose signatures this node accepts (env CLOSURE_CACHE_TRUST).")
  String trust;

  @Option(names = "--token-file", paramLabel = "FILE", description = "A bearer token for the masters (env CLOSURE_CACHE_TOKEN_FILE).")
  Path tokenFile;

  @Option(names = "--parallel", paramLabel = "N", description = "Objects transferred at once (default 8; env CLOSURE_CACHE_PARALLELISM).")
  Integer parallelism;

  @Option(names = "--lock-timeout", paramLabel = "DURATION", description = "How long to wait for another process holding the cache (default 10m; env CLOSURE_CACHE_LOCK_TIMEOUT).")
  String lockTimeout;

  @Option(names = "--config", paramLabel = "FILE", description = "Settings file (default $CLOSURE_CACHE_CONFIG, else /etc/closure-cache/client.properties).")
  Path config;

  public ClientSettings settings() throws Exception {
    Map<String, String> flags = new TreeMap<>();
    if (masters != null) {
      try {
        ClientSettings.parseMasters(masters);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(command.commandLine(), "--master: " + e.getMessage());
      }
      flags.put("masters", masters);
    }
    if (cache != null) {
      flags.put("cache", cache.toString());
    }
    if (trust != null) {
      flags.put("trust", trust);
    }
    if (tokenFile != null) {
      flags.put("token-file", tokenFile.toString());
    }
    if (parallelism != null) {
      flags.put("parallelism", parallelism.toString());
    }
    if (lockTimeout != null) {
      flags.put("lock-timeout", lockTimeout);
    }
    return ClientSettings.resolve(flags, System.getenv(), Optional.ofNullable(config));
  }

  public MasterClient master(ClientSettings s) throws Exception {
    return MasterClient.create(MasterOptions.of(s.masters(), s.token()));
  }

  public static TrustedKeys trusted(ClientSettings s) throws Exception {
    if (s.trust().isEmpty()) {
      throw new IllegalArgumentException("no trusted keys: give --trust PUBKEY (or set CLOSURE_CACHE_TRUST);"
          + " a node accepts only manifests signed by keys it trusts");
    }
    return TrustedKeys.load(s.trust());
  }

  public static NodeCache openCache(ClientSettings s, java.io.PrintWriter err) throws Exception {
    return NodeCache.open(s.cache(), holder -> {
      err.println("waiting for " + holder + " to finish with " + s.cache());
      err.flush();
    }, s.lockTimeout());
  }
}
