package org.closurecache.client.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.closurecache.client.bundle.BundleImporter;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.settings.ClientSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cache-client import}: bring a bundle into the node cache, verified first. */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Imports a bundle made by 'export': checks every object against its digest, every manifest and tag signature against --trust, that no tag rolls back, and that each closure is whole, before anything is indexed. A refused bundle changes nothing."},
    footer = {"", "Example:", "  cache-client import --trust publisher.pub python.bundle.tar.gz"})
final class ImportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin NodeOptions node;

  @Parameters(paramLabel = "FILE", description = "The bundle (.tar or .tar.gz).")
  Path bundle;

  @Override
  public Integer call() throws Exception {
    ClientSettings settings = node.settings();
    try (NodeCache cache = NodeOptions.openCache(settings, spec.commandLine().getErr())) {
      BundleImporter.Result r = BundleImporter.importBundle(cache, NodeOptions.trusted(settings), bundle);
      spec.commandLine().getOut().printf("imported %s: %d objects (%d new, %s)%n",
          String.join(", ", r.manifests().stream().map(Object::toString).toList()), r.objects(), r.objectsNew(),
          Progress.human(r.bytes()));
    }
    return 0;
  }
}
