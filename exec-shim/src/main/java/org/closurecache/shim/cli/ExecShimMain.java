package org.closurecache.shim.cli;

import org.closurecache.core.cli.Cli;
import org.closurecache.core.cli.Versions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code exec-shim}: launches a job from the node cache. This build has no subcommands yet;
 * {@code run} comes with the launch work.
 */
@Command(
    name = "exec-shim",
    mixinStandardHelpOptions = true,
    versionProvider = Versions.class,
    description = {
        "Launches a job from the node cache with the environment recorded on the publishing host, so it behaves there as it did here.",
        "",
        "This build has no subcommands yet: 'run' is not implemented."},
    subcommands = {CommandLine.HelpCommand.class})
public final class ExecShimMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(Cli.run(new ExecShimMain(), args));
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing a subcommand (see --help)");
  }
}
