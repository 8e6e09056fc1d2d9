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
        "The node and publisher side of closure-cache: captures program closures on a publishing host and publishes them to a master; pulls, verifies and keeps exactly the closures a node's jobs need in a local cache, and lets admins pre-warm, pin, list, check and shrink it.",
        "",
        "Exit status: 0 success, 1 the work failed (reason on stderr), 2 bad usage."},
    subcommands = {ClosureCommand.class, KeygenCommand.class, PublishCommand.class, PullCommand.class, WarmCommand.class,
        PinCommand.class, PinCommand.Unpin.class, LsCommand.class, FsckCommand.class, GcCommand.class,
        ExportCommand.class, ImportCommand.class, KitCommand.class,
        CommandLine.HelpCommand.class})
public final class CacheClientMain {
  public static void main(String[] args) {
    System.exit(Cli.run(new CacheClientMain(), args));
  }
}
