package org.closurecache.shim.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import org.closurecache.client.cache.CacheLayout;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cli.NodeOptions;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.sign.SignedManifest;
import org.closurecache.shim.view.ViewVerifier;
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
        "Checks the view of manifest DIGEST: every file is the very cache object (or its variant) with the recorded size, mode and mtime, every symlink has its recorded target. With --content, also re-hashes every file.",
        "",
        "Exit status: 0 the view is sound, 1 it is not or does not exist (problems on stderr), 2 bad usage."})
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--content", description = "Re-hash every file (reads the whole closure).")
  boolean content;

  @Mixin NodeOptions node;

  @Parameters(paramLabel = "DIGEST", description = "A manifest digest (sha256:...).")
  String ref;

  @Override
  public Integer call() throws Exception {
    Digest digest = Digest.parse(ref);
    CacheLayout layout = CacheLayout.at(node.settings().cache());
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isDirectory(layout.viewDir(digest))) {
      err.println("verify: no view of " + digest + " in " + layout.root() + "; exec-shim run builds it");
      return 1;
    }
    Manifest manifest;
    try (NodeCache cache = NodeCache.openReadOnly(layout.root())) {
      manifest = SignedManifest.storedManifest(cache.manifest(digest).orElseThrow(
          () -> new java.io.IOException("manifest " + digest + " is not in the cache index")));
    }
    ViewVerifier verifier = new ViewVerifier(layout);
    ViewVerifier.Report report = content ? verifier.checkContent(layout.viewDir(digest), manifest)
        : verifier.check(layout.viewDir(digest), manifest);
    if (!report.ok()) {
      err.println("verify: view " + layout.viewDir(digest) + " fails: " + report);
      return 1;
    }
    out.printf("view %s: %d files, %d symlinks, sound%s%n", layout.viewDir(digest), manifest.files().size(),
        manifest.symlinks().size(), content ? " (content re-hashed)" : "");
    return 0;
  }
}
