package org.closurecache.shim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cli.NodeOptions;
import org.closurecache.client.view.ViewVerifier;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.Ref;
import org.closurecache.core.sign.SignedManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code exec-shim verify}: checks a built view against its manifest, optionally re-hashing it. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
        "Checks the view of the closure REF (a manifest digest, or a tag this cache has pulled): every file is the very cache object (or its variant) with the recorded size, mode and mtime, every symlink has its recorded target. With --content, also re-hashes every file.",
        "",
        "Exit status: 0 the view is sound, 1 it is not or does not exist (problems on stderr), 2 bad usage."})
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--content", description = "Re-hash every file (reads the whole closure).")
  boolean content;

  @Mixin NodeOptions node;

  @Parameters(paramLabel = "REF", description = "A manifest digest (sha256:...) or a tag this cache has pulled.")
  Ref ref;

  @Override
  public Integer call() throws Exception {
    CacheLayout layout = CacheLayout.at(node.settings().cache());
    Digest digest = ref.manifestDigest().isPresent() ? ref.manifestDigest().get()
        : pulledTarget(layout, ref.tagName().orElseThrow());
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isDirectory(layout.views().viewDir(digest))) {
      err.println("verify: no view of " + digest + " in " + layout.root() + "; exec-shim run builds it");
      return 1;
    }
    Manifest manifest;
    try (NodeCache cache = NodeCache.openReadOnly(layout.root())) {
      manifest = SignedManifest.storedManifest(cache.manifest(digest).orElseThrow(
          () -> new java.io.IOException("manifest " + digest + " is not in the cache index")));
    }
    ViewVerifier verifier = new ViewVerifier(layout.views());
    ViewVerifier.Report report = content ? verifier.checkContent(layout.views().viewDir(digest), manifest)
        : verifier.check(layout.views().viewDir(digest), manifest);
    if (!report.ok()) {
      err.println("verify: view " + layout.views().viewDir(digest) + " fails: " + report);
      return 1;
    }
    out.printf("view %s: %d files, %d symlinks, sound%s%n", layout.views().viewDir(digest), manifest.files().size(),
        manifest.symlinks().size(), content ? " (content re-hashed)" : "");
    return 0;
  }

  /** What tag {@code name} pointed at when this cache last pulled it, read without the writer lock. */
  private static Digest pulledTarget(CacheLayout layout, String name) throws Exception {
    String hint = "; pull it first or give a manifest digest";
    if (!Files.isDirectory(layout.indexDir())) {
      throw new IOException("no cache index in " + layout.root() + ", so no tag \"" + name + "\"" + hint);
    }
    try (NodeCache cache = NodeCache.openReadOnly(layout.root())) {
      return cache.tagTarget(name).orElseThrow(
          () -> new IOException("this cache has not pulled tag \"" + name + "\"" + hint));
    }
  }
}
