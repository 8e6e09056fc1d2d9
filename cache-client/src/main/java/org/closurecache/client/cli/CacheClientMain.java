package org.closurecache.client.cli;

import org.closurecache.core.cli.Cli;
import org.closurecache.core.cli.Versions;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code cache-client}: the node-side command line. Each subcommand is a thin front end. */
@Command(
    name = "cache-client",
    mixinStandardHelpOptions = true,
    versionProvider = Versions.class,
    description = {
        "Captures program closures on a publishing host, and (later) pulls them into a node's verified local cache.",
        "",
        "Exit status: 0 success, 1 the work failed (reason on stderr), 2 bad usage."},
    subcommands = {ClosureCommand.class, KeygenCommand.class, CommandLine.HelpCommand.class})
public final class CacheClientMain {
  public static void main(String[] args) {
    System.exit(Cli.run(new CacheClientMain(), args));
  }
}
