package org.closurecache.client.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.closurecache.client.bundle.BundleWriter;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Ref;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cache-client export}: a self-contained signed bundle for air-gapped nodes. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Writes the complete closure REF from the node cache to a bundle: a tar archive (gzipped when FILE ends in .gz) holding the signed manifest, the signed tag when REF is a tag, and every object, named by digest. 'import' on another node verifies all of it."},
    footer = {"", "Example:", "  cache-client export python -o python.bundle.tar.gz"})
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The bundle to write.")
  Path output;

  @Mixin NodeOptions node;

  @Parameters(paramLabel = "REF", description = "A manifest digest or a tag this cache has pulled.")
  Ref ref;

  @Override
  public Integer call() throws Exception {
    ClientSettings settings = node.settings();
    try (NodeCache cache = NodeOptions.openCache(settings, spec.commandLine().getErr())) {
      Digest manifest = PinCommand.resolve(cache, ref);
      Optional<String> tag = ref.tagName();
      Optional<byte[]> signedTag = tag.isPresent() ? cache.signedTag(tag.get()) : Optional.empty();
      BundleWriter.Result r = BundleWriter.export(cache, manifest, tag, signedTag, output);
      spec.commandLine().getOut().printf("exported %s: %d objects, %s, to %s%n", r.manifest(), r.objects(),
          Progress.human(r.bytes()), output);
    }
    return 0;
  }
}
