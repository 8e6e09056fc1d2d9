package org.closurecache.client.cli;

import java.util.concurrent.Callable;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Ref;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cache-client pin} and {@code unpin}: keep a closure from gc, or let it go. */
@Command(name = "pin", mixinStandardHelpOptions = true,
    description = {"Pins the closure REF (a manifest digest, or a tag this cache has pulled) so gc never evicts it."})
class PinCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin NodeOptions node;

  @Parameters(paramLabel = "REF", description = "A manifest digest or a tag known to this cache.")
  Ref ref;

  boolean pin() {
    return true;
  }

  @Override
  public Integer call() throws Exception {
    ClientSettings settings = node.settings();
    try (NodeCache cache = NodeOptions.openCache(settings, spec.commandLine().getErr())) {
      Digest manifest = resolve(cache, ref);
      if (pin()) {
        cache.pin(manifest);
      } else {
        cache.unpin(manifest);
      }
      spec.commandLine().getOut().println((pin() ? "pinned " : "unpinned ") + manifest);
    }
    return 0;
  }

  /** A digest as is, or what a tag this cache has pulled points at. */
  static Digest resolve(NodeCache cache, Ref ref) throws Exception {
    Digest d;
    if (ref instanceof Ref.ByTag tag) {
      d = cache.tagTarget(tag.name()).orElseThrow(() -> new IllegalArgumentException(
          "this cache has not pulled tag \"" + tag.name() + "\"; pull it first or give a manifest digest"));
    } else {
      d = ref.manifestDigest().orElseThrow();
    }
    if (cache.manifest(d).isEmpty()) {
      throw new IllegalArgumentException("this cache holds no manifest " + d + "; pull it first");
    }
    return d;
  }

  /** {@code cache-client unpin}. */
  @Command(name = "unpin", mixinStandardHelpOptions = true,
      description = {"Unpins the closure REF; gc may then evict it when it is least recently used."})
  static final class Unpin extends PinCommand {
    @Override
    boolean pin() {
      return false;
    }
  }
}
