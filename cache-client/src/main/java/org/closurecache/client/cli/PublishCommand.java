package org.closurecache.client.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.publish.Publisher;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.capture.ClosureCapture;
import org.closurecache.core.cli.Cli;
import org.closurecache.core.sign.Signer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-client publish}: capture a closure and put it on the master, signed. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Captures the closure of PROGRAM (as 'closure' does), asks the master which objects it lacks in one round trip, uploads only those in parallel, signs the manifest with --key and uploads it, and with --tag moves a signed tag to it (revision + 1).",
        "",
        "Prints the manifest digest (sha256:...) as the last line on stdout. Publishing the same thing twice uploads no object the second time."},
    footer = {"", "Example:",
        "  cache-client publish --master http://head:7070 --key publisher.key --token-file tokens --tag python \\",
        "      --trace -- /usr/bin/python3 -c 'import ssl, sqlite3'"})
final class PublishCommand implements Callable<Integer>, Cli.ProgramArguments {
  @Spec CommandSpec spec;

  @Option(names = "--key", required = true, paramLabel = "KEYFILE", description = "The publisher's private key (from keygen).")
  Path key;

  @Option(names = "--tag", paramLabel = "NAME", description = "Move this tag to the new manifest.")
  String tag;

  @Option(names = "--quiet", description = "No progress, only the digest.")
  boolean quiet;

  @Mixin NodeOptions node;

  @Mixin CaptureOptions capture;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Signer signer = Signer.load(key);
    ClientSettings settings = node.settings();
    ClosureCapture.Capture captured = capture.capture(err);
    Progress progress = quiet ? Progress.silent() : new Progress(err, System.console() != null, "uploading");
    try (MasterClient master = node.master(settings)) {
      Publisher.Result r = new Publisher(master, signer, settings.parallelism(), Clock.systemUTC())
          .publish(captured.manifest(), Optional.ofNullable(tag), progress);
      if (!quiet) {
        err.printf("published %d objects (%d uploaded, %s)%s%n", r.objects(), r.uploaded(),
            Progress.human(r.bytesUploaded()), r.tagRevision().map(v -> "; tag " + tag + " at revision " + v).orElse(""));
        err.flush();
      }
      out.println(r.manifest());
      out.flush();
    }
    return 0;
  }
}
