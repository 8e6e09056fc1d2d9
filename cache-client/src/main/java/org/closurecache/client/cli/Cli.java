package org.closurecache.client.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Shared command-line conventions: a failure prints one line, {@code <command>: <reason>}, on
 * stderr and exits 1; bad usage exits 2 with the usage text; {@code --help} works everywhere.
 */
public final class Cli {
  private Cli() {}

  public static int run(Object command, String... args) {
    CommandLine cli = new CommandLine(command);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      String reason = e.getMessage() == null ? e.toString() : e.getMessage();
      err.println(commandLine.getCommandName() + ": " + reason.replace('\n', ' '));
      if (System.getenv("CLOSURE_CACHE_DEBUG") != null) {
        e.printStackTrace(err);
      }
      err.flush();
      return 1;
    });
    return cli.execute(args);
  }
}
