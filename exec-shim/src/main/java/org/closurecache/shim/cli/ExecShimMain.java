package org.closurecache.shim.cli;

import org.closurecache.core.cli.Cli;
import org.closurecache.core.cli.Versions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code exec-shim}: launches a job from the node cache. Each subcommand is a thin front end. */
@Command(
    name = "exec-shim",
    mixinStandardHelpOptions = true,
    versionProvider = Versions.class,
    description = {
        "Launches a job from the node cache with the environment recorded on the publishing host, so it behaves there as it did here.",
        "",
        "Modes: namespace (bubblewrap, the view as the job's root: every absolute path, /proc/self/exe and $ORIGIN as on the publishing host) and loader (no namespaces: the cached ld.so runs the program; absolute paths reach the node). See 'exec-shim run --help'."},
    subcommands = {RunCommand.class, PrepareCommand.class, VerifyCommand.class, CommandLine.HelpCommand.class})
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
