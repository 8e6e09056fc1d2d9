package org.closurecache.client.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.closurecache.client.capture.ClosureReport;
import org.closurecache.core.capture.ClosureCapture;
import org.closurecache.core.cli.Cli;
import org.closurecache.core.manifest.ManifestCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-client closure}: show (or emit as a manifest) what a program needs to run. */
@Command(
    name = "closure",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Prints the closure of PROGRAM: the executable, its interpreter, every shared library in the order the dynamic loader loads them, plus explicit includes and (with --trace) what a recording run opened; each with its digest, size and why it is there.",
        "",
        "Libraries are found by reading ELF headers and /etc/ld.so.cache the way glibc's ld.so does; the program is not executed unless --trace asks for one recording run under strace, which reads this command's stdin (so `python3 - < job.py` records what job.py imports). What that run wrote or made itself is left out (--trace-keep-written keeps it); a program it ran under an excluded prefix is a warning, or a failure when the program's own process ran it (--trace-include keeps it). The recorded launch (argv, working directory, the environment this command was started with) drops secrets such as *TOKEN*, *SECRET*, *PASSWORD*, SSH_AUTH_SOCK (see --drop-env/--keep-env)."},
    footer = {"", "Examples:",
        "  cache-client closure -- /usr/bin/git",
        "  cache-client closure --trace -- /usr/bin/python3 -c 'import ssl, sqlite3'",
        "  cache-client closure --trace --json -- /usr/bin/python3 - < job.py",
        "  cache-client closure --json --include /usr/lib/jvm/java-17-openjdk-amd64/lib -- java -version"})
final class ClosureCommand implements Callable<Integer>, Cli.ProgramArguments {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print the manifest (canonical JSON) instead of the table.")
  boolean json;

  @Option(names = "--full-digests", description = "Show whole digests in the table.")
  boolean fullDigests;

  @Mixin CaptureOptions capture;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    ClosureCapture.Capture result = capture.capture(spec.commandLine().getErr());
    if (json) {
      out.println(new String(ManifestCodec.toCanonicalBytes(result.manifest()), StandardCharsets.UTF_8));
      out.flush();
    } else {
      ClosureReport.print(result, fullDigests, out);
    }
    return 0;
  }
}
