package org.closurecache.client.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.closurecache.client.capture.ClosureReport;
import org.closurecache.client.capture.ProgramLocator;
import org.closurecache.core.capture.ClosureCapture;
import org.closurecache.core.capture.EnvFilter;
import org.closurecache.core.capture.StraceRecorder;
import org.closurecache.core.elf.ElfFile;
import org.closurecache.core.elf.ElfReader;
import org.closurecache.core.manifest.ManifestCodec;
import org.closurecache.core.resolve.HostResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cache-client closure}: show (or emit as a manifest) what a program needs to run. */
@Command(
    name = "closure",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Prints the closure of PROGRAM: the executable, its interpreter, every shared library in the order the dynamic loader loads them, plus explicit includes and (with --trace) what a recording run opened; each with its digest, size and why it is there.",
        "",
        "Libraries are found by reading ELF headers and /etc/ld.so.cache the way glibc's ld.so does; the program is not executed unless --trace asks for one recording run under strace. The recorded launch (argv, working directory, environment) drops secrets such as *TOKEN*, *SECRET*, *PASSWORD*, SSH_AUTH_SOCK (see --drop-env/--keep-env)."},
    footer = {"", "Examples:",
        "  cache-client closure -- /usr/bin/git",
        "  cache-client closure --trace -- /usr/bin/python3 -c 'import ssl, sqlite3'",
        "  cache-client closure --json --include /usr/lib/jvm/java-17-openjdk-amd64/lib -- java -version"})
final class ClosureCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print the manifest (canonical JSON) instead of the table.")
  boolean json;

  @Option(names = "--trace", description = "Run the program once under strace -f and add every file it opened for reading or executed (with their own ELF closures).")
  boolean trace;

  @Option(names = "--include", paramLabel = "P", description = "Add a file, a directory (recursively) or a glob (quote it), with the ELF closure of any shared object in it. Repeatable.")
  List<String> includes = new ArrayList<>();

  @Option(names = "--trace-exclude", paramLabel = "PREFIX", description = "Leave files under PREFIX out of the recording (added to the defaults: ${DEFAULT-VALUE}).")
  List<String> traceExclude = new ArrayList<>();

  @Option(names = "--drop-env", paramLabel = "PATTERN", description = "Also leave environment variables matching PATTERN (case-insensitive, * wildcard) out of the recorded launch.")
  List<String> dropEnv = new ArrayList<>();

  @Option(names = "--keep-env", paramLabel = "PATTERN", description = "Keep variables matching PATTERN even if a drop pattern matches.")
  List<String> keepEnv = new ArrayList<>();

  @Option(names = "--trace-timeout", paramLabel = "SECONDS", defaultValue = "600", description = "Kill the recording run after this long (default ${DEFAULT-VALUE}).")
  long traceTimeout;

  @Option(names = "--full-digests", description = "Show whole digests in the table.")
  boolean fullDigests;

  @Parameters(index = "0", paramLabel = "PROGRAM", description = "The program: a path, or a name looked up in PATH.")
  String program;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments, recorded in the launch (and used by --trace).")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> env = System.getenv();
    String cwd = Path.of("").toAbsolutePath().toString();
    String path = ProgramLocator.locate(program, env.get("PATH"), cwd);
    ElfFile elf = ElfReader.read(Path.of(path));
    HostResolver.Built built = HostResolver.forInterpreter(elf.interpreter().orElse(HostResolver.X86_64_INTERPRETER));
    built.warning().ifPresent(w -> err.println("warning: " + w));
    List<String> exclude = new ArrayList<>(ClosureCapture.DEFAULT_TRACE_EXCLUDE);
    exclude.addAll(traceExclude);
    ClosureCapture.Options options = new ClosureCapture.Options(
        includes, trace, exclude, EnvFilter.defaults().with(dropEnv, keepEnv));
    List<String> argv = new ArrayList<>();
    argv.add(program);
    argv.addAll(args);
    Path scratch = Files.createTempDirectory("closure-cache-");
    ClosureCapture.Capture capture;
    try {
      capture = new ClosureCapture(built.resolver(), new StraceRecorder("strace", traceTimeout), scratch)
          .capture(path, argv, env, cwd, options);
    } finally {
      Files.deleteIfExists(scratch);
    }
    capture.warnings().forEach(w -> err.println("warning: " + w));
    err.flush();
    if (json) {
      out.println(new String(ManifestCodec.toCanonicalBytes(capture.manifest()), StandardCharsets.UTF_8));
      out.flush();
    } else {
      ClosureReport.print(capture, fullDigests, out);
    }
    return 0;
  }
}
