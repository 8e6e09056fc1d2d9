package org.closurecache.shim.launch;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.pull.Puller;
import org.closurecache.client.view.ViewBuilder;
import org.closurecache.client.view.ViewLayout;
import org.closurecache.client.view.ViewSweeper;
import org.closurecache.client.view.ViewVerifier;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.json.JsonFormatException;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Ref;
import org.closurecache.core.sign.SignedManifest;

/**
 * Everything {@code exec-shim run} does before the job starts: make sure the closure is complete
 * in the node cache (pulling it through the client library when it is not), refuse a closure this
 * node cannot run ({@link Guards}), build the view and its launch plan once per manifest, and check
 * the view before every launch ({@link ViewVerifier}).
 *
 * <p>A warm launch by digest (closure complete, view built) opens the index read-only: no lock, no
 * wait behind a pull, no network. A tag always asks a master for its current target; when no
 * master answers and the cache holds a complete closure for the tag, that one is used with a
 * warning. Not thread-safe: one per launch.
 */
public final class Preparer {
  private final Path cacheRoot;
  private final PrintWriter err;

  public Preparer(Path cacheRoot, PrintWriter err) {
    this.cacheRoot = cacheRoot;
    this.err = err;
  }

  /** Opens the cache for writing and pulls: given by the caller so masters and keys stay its concern. */
  @FunctionalInterface
  public interface Pull {
    Puller.Result pull(Ref ref) throws Exception;
  }

  /** A closure ready to launch. */
  public record Prepared(Digest manifestDigest, Manifest manifest, Path viewDir, ViewBuilder.Built built,
      Optional<Puller.Result> pulled) {}

  public Prepared prepare(Ref ref, Pull pull, boolean rebuild) throws Exception {
    CacheLayout layout = CacheLayout.at(cacheRoot);
    Optional<Puller.Result> pulled = Optional.empty();
    Digest digest = ref.manifestDigest().orElse(null);
    byte[] envelope = digest == null ? null : readCompleteManifest(layout, digest);
    if (envelope == null) {
      try {
        pulled = Optional.of(pull.pull(ref));
        digest = pulled.get().manifest();
      } catch (IOException e) {
        if (digest != null) {
          throw e;
        }
        digest = cachedTagTarget(layout, ref.tagName().orElseThrow()).orElseThrow(() -> e);
        err.println("exec-shim: warning: " + org.closurecache.core.cli.Cli.describe(e).replace('\n', ' ') + "; running the cached target of tag \"" + ref
            + "\", " + digest);
        err.flush();
      }
      envelope = readCompleteManifest(layout, digest);
      if (envelope == null) {
        throw new IOException("closure " + digest + " is not complete in " + cacheRoot + " after the pull");
      }
    }
    Manifest manifest;
    try {
      manifest = SignedManifest.storedManifest(envelope);
      envelope = null;  // up to 32 MiB: not kept alive while the view is built and checked
    } catch (JsonFormatException e) {
      throw new IOException("the cache's copy of manifest " + digest + " is unreadable: " + e.getMessage()
          + "; run cache-client fsck", e);
    }
    Guards.requirePlatform(manifest, Guards.nodePlatform());
    Path viewDir = layout.views().viewDir(digest);
    if (rebuild) {
      ViewSweeper.discard(layout.views(), digest);  // moved aside first: a launcher never sees half a tree
    }
    Digest d = digest;
    ViewBuilder.Built built = new ViewBuilder(layout.views()).build(digest, manifest,
        (buildRoot, planDir) -> LaunchPlan.write(d, manifest, layout.root(), buildRoot,
            ViewLayout.rootOf(viewDir), planDir));
    if (manifest.interpreter().isPresent() && !Guards.requiredHwcaps(manifest).isEmpty()) {
      String loader = manifest.resolve(manifest.interpreter().get()).orElseThrow();
      Guards.requireHwcaps(manifest, Guards.supportedHwcaps(ViewLayout.inside(ViewLayout.rootOf(viewDir), loader)));
    }
    ViewVerifier.Report report = new ViewVerifier(layout.views()).check(viewDir, manifest);
    if (!report.ok()) {
      throw new Guards.RefusedException("the view " + viewDir + " fails verification: " + report
          + "; rebuild it with exec-shim run --rebuild (and check who changed it)");
    }
    return new Prepared(digest, manifest, viewDir, built, pulled);
  }

  /** The stored manifest when its closure is complete, read without the writer lock; else null. */
  private static byte[] readCompleteManifest(CacheLayout layout, Digest digest) throws IOException {
    if (!Files.isDirectory(layout.indexDir())) {
      return null;
    }
    try (NodeCache cache = NodeCache.openReadOnly(layout.root())) {
      return cache.isComplete(digest) ? cache.manifest(digest).orElse(null) : null;
    }
  }

  private static Optional<Digest> cachedTagTarget(CacheLayout layout, String tag) throws IOException {
    if (!Files.isDirectory(layout.indexDir())) {
      return Optional.empty();
    }
    try (NodeCache cache = NodeCache.openReadOnly(layout.root())) {
      Optional<Digest> target = cache.tagTarget(tag);
      return target.isPresent() && cache.isComplete(target.get()) ? target : Optional.empty();
    }
  }
}
