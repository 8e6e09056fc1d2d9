package org.closurecache.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cache-server}: the reference master. This build has no subcommands yet; the HTTP store
 * ({@code serve}) and garbage collection ({@code gc}) come with the server work.
 */
@Command(
    name = "cache-server",
    mixinStandardHelpOptions = true,
    versionProvider = CacheServerMain.Version.class,
    description = {
        "The reference master of closure-cache: a content-addressed HTTP store of the files jobs need, keyed by SHA-256, with signed manifests describing each job's closure.",
        "",
        "This build has no subcommands yet: 'serve' and 'gc' are not implemented."},
    subcommands = {CommandLine.HelpCommand.class})
public final class CacheServerMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new CacheServerMain()).execute(args));
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing a subcommand (see --help)");
  }

  /** Reports the build's version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Version.class.getPackage().getImplementationVersion();
      return new String[] {"closure-cache " + (v == null ? "development build" : v)};
    }
  }
}
