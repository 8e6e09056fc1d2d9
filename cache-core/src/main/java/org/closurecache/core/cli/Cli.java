package org.closurecache.core.cli;

import java.io.PrintWriter;
import org.closurecache.core.manifest.Ref;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Shared command-line conventions: a failure prints one line, {@code <command>: <reason>}, on
 * stderr and exits 1; bad usage prints one line too, {@code <command>: <what is wrong> (see
 * '<command> --help')}, plus picocli's suggestions for a mistyped option, and exits 2 (a bad
 * {@link Ref} parameter is bad usage: {@link RefConverter});
 * {@code --help} works everywhere. Thread-safe (no state).
 */
public final class Cli {
  private Cli() {}

  /** Turns an exception into a reason a person can act on; file-system errors name the file. */
  public static String describe(Throwable e) {
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() == null) {
      String what = e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
          : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
          : e instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
          : e instanceof java.nio.file.NotDirectoryException ? "not a directory"
          : e.getClass().getSimpleName();
      return f.getFile() + ": " + what + (f.getOtherFile() == null ? "" : " (" + f.getOtherFile() + ")");
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  public static int run(Object command, String... args) {
    PrintWriter out = new PrintWriter(System.out);
    PrintWriter err = new PrintWriter(System.err);
    int status = run(command, out, err, args);
    out.flush();
    err.flush();
    return status;
  }

  /** Runs {@code command} writing to the given streams; answers the exit status. */
  public static int run(Object command, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(command).setOut(out).setErr(err);
    cli.registerConverter(Ref.class, new RefConverter());  // after the subcommands: it reaches them all
    inheritVersion(cli, cli.getCommandSpec());
    stopAtProgram(cli);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter stderr = commandLine.getErr();
      String reason = describe(e);
      stderr.println(commandLine.getCommandName() + ": " + reason.replace('\n', ' '));
      if (System.getenv("CLOSURE_CACHE_DEBUG") != null) {
        e.printStackTrace(stderr);
      }
      err.flush();
      return 1;
    });
    cli.setParameterExceptionHandler((e, given) -> {
      CommandLine commandLine = e.getCommandLine();
      PrintWriter stderr = commandLine.getErr();
      String name = commandLine.getCommandSpec().qualifiedName();
      stderr.println(commandLine.getCommandName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ')
          + " (see '" + name + " --help')");
      CommandLine.UnmatchedArgumentException.printSuggestions(e, stderr);
      stderr.flush();
      return 2;
    });
    return cli.execute(args);
  }

  /**
   * A command that takes {@code PROGRAM [ARGS...]}: everything from the program on is the
   * program's, so {@code publish python3 --version} records {@code --version} instead of printing
   * closure-cache's.
   */
  public interface ProgramArguments {}

  private static void stopAtProgram(CommandLine parent) {
    for (CommandLine sub : parent.getSubcommands().values()) {
      if (sub.getCommand() instanceof ProgramArguments) {
        sub.setStopAtPositional(true);
      }
      stopAtProgram(sub);
    }
  }

  /** {@code COMMAND SUB -V} prints what {@code COMMAND -V} does, where SUB names no version of its own. */
  private static void inheritVersion(CommandLine parent, CommandSpec top) {
    for (CommandLine sub : parent.getSubcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      if (spec.versionProvider() == null && spec.version().length == 0) {
        if (top.versionProvider() != null) {
          spec.versionProvider(top.versionProvider());
        } else {
          spec.version(top.version());
        }
      }
      inheritVersion(sub, top);
    }
  }
}
