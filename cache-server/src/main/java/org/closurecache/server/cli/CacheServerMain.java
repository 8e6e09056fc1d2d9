package org.closurecache.server.cli;

import org.closurecache.core.cli.Cli;
import org.closurecache.core.cli.Versions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cache-server}: the reference master's command line. */
@Command(
    name = "cache-server",
    mixinStandardHelpOptions = true,
    versionProvider = Versions.class,
    description = {
        "The reference master of closure-cache: a content-addressed HTTP store of the files jobs need, keyed by SHA-256, with signed manifests describing each job's closure.",
        "",
        "Exit status: 0 success, 1 the work failed (reason on stderr), 2 bad usage."},
    subcommands = {ServeCommand.class, GcCommand.class, FsckCommand.class, CommandLine.HelpCommand.class})
public final class CacheServerMain {
  public static void main(String[] args) {
    System.exit(Cli.run(new CacheServerMain(), args));
  }
}
