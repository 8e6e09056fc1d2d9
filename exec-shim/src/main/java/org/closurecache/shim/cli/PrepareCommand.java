package org.closurecache.shim.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.closurecache.client.cli.NodeOptions;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.cli.RefConverter;
import org.closurecache.core.manifest.Ref;
import org.closurecache.shim.launch.Preparer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code exec-shim prepare}: everything {@code run} does before the launch, for one or more jobs. */
@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    description = {
        "Makes jobs ready to launch without launching them: pulls each closure the cache lacks, applies the guard rails, builds and checks its view and launch plan, and prints the view directory (one line per REF).",
        "",
        "For a scheduler's prolog: prepare once per node, then start every rank with deploy/bin/exec-view VIEW_DIR (no JVM, no index, no network).",
        "",
        "Exit status: 0 all ready, 1 one failed (reason on stderr), 2 bad usage."},
    footer = {"", "Example:", "  view=$(exec-shim prepare --master http://head:7070 --trust publisher.pub python) && srun deploy/bin/exec-view \"$view\""})
final class PrepareCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--rebuild", description = "Discard each view and build it again.")
  boolean rebuild;

  @Mixin NodeOptions node;

  @Parameters(arity = "1..*", paramLabel = "REF", description = "Manifest digests (sha256:...) or tag names.")
  List<String> refs;

  @Override
  public Integer call() throws Exception {
    List<Ref> parsed = RefConverter.convertAll(spec.commandLine(), "REF", refs);  // all, before any work
    ClientSettings settings = node.settings();
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    Preparer preparer = new Preparer(settings.cache(), err);
    for (Ref ref : parsed) {
      Preparer.Prepared p = preparer.prepare(ref, r -> RunCommand.pull(node, settings, err, r), rebuild);
      out.println(p.viewDir());
      out.flush();
    }
    return 0;
  }
}
