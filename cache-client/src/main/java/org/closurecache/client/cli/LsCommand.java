package org.closurecache.client.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import org.closurecache.client.cache.ClosureInfo;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.json.CanonicalJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-client ls}: what the node cache holds. */
@Command(name = "ls", mixinStandardHelpOptions = true,
    description = {"Lists the closures in the node cache: manifest, entry program, objects, bytes, complete or not, pinned, last used, tags. Reads the cache without waiting for a pull in progress."})
final class LsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print a JSON array.")
  boolean json;

  @Mixin NodeOptions node;

  @Override
  public Integer call() throws Exception {
    ClientSettings settings = node.settings();
    PrintWriter out = spec.commandLine().getOut();
    List<ClosureInfo> closures;
    long objects;
    long bytes;
    try (NodeCache cache = NodeCache.openReadOnly(settings.cache())) {
      closures = cache.list();
      objects = cache.objectCount();
      bytes = cache.objectBytes();
    }
    if (json) {
      var array = CanonicalJson.object().arrayNode();
      for (ClosureInfo c : closures) {
        ObjectNode o = array.addObject();
        o.put("manifest", c.manifest().toString());
        o.put("entry", c.entry());
        o.put("objects", c.objects());
        o.put("bytes", c.bytes());
        o.put("complete", c.complete());
        o.put("pinned", c.pinned());
        o.put("lastUsed", c.lastUsed().toString());
        var tags = o.putArray("tags");
        c.tags().forEach(tags::add);
      }
      out.println(new String(CanonicalJson.write(array), StandardCharsets.UTF_8));
    } else {
      for (ClosureInfo c : closures) {
        out.printf("%s  %-8s %-6s %6d objects %10s  last used %s  %s%s%n", c.manifest(),
            c.complete() ? "complete" : "partial", c.pinned() ? "pinned" : "", c.objects(), Progress.human(c.bytes()),
            c.lastUsed(), c.entry(), c.tags().isEmpty() ? "" : "  [" + String.join(", ", c.tags()) + "]");
      }
      out.printf("%d closures, %d objects, %s%n", closures.size(), objects, Progress.human(bytes));
    }
    out.flush();
    return 0;
  }
}
