package org.closurecache.client.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.closurecache.client.capture.CallerEnvironment;
import org.closurecache.client.capture.ProgramLocator;
import org.closurecache.core.capture.ClosureCapture;
import org.closurecache.core.capture.EnvFilter;
import org.closurecache.core.capture.ExcludedProgramException;
import org.closurecache.core.capture.StraceRecorder;
import org.closurecache.core.elf.ElfFile;
import org.closurecache.core.elf.ElfReader;
import org.closurecache.core.resolve.HostResolver;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What to capture and how: shared by {@code closure} and {@code publish}. */
final class CaptureOptions {
  @Option(names = "--trace", description = "Run the program once under strace -f and add every file it opened for reading, looked up or executed (with their own ELF closures).")
  boolean trace;

  @Option(names = "--include", paramLabel = "P", description = "Add a file, a directory (recursively) or a glob (quote it), with the ELF closure of any shared object in it. Repeatable.")
  List<String> includes = new ArrayList<>();

  @Option(names = "--trace-exclude", paramLabel = "PREFIX", description = "Leave files under PREFIX out of the recording (added to /proc, /sys, /dev, /tmp, /var/tmp, /run, /home, /root and secret files).")
  List<String> traceExclude = new ArrayList<>();

  @Option(names = "--trace-include", paramLabel = "PREFIX", description = "Keep what the recording run used under PREFIX although an excluded prefix holds it (the longest matching prefix decides; e.g. a pyenv tree under /root). Repeatable.")
  List<String> traceInclude = new ArrayList<>();

  @Option(names = "--trace-keep-written", description = "Keep files the recording run wrote or made itself (left out by default: they are its output, not the program).")
  boolean traceKeepWritten;

  @Option(names = "--drop-env", paramLabel = "PATTERN", description = "Also leave environment variables matching PATTERN (case-insensitive, * wildcard) out of the recorded launch.")
  List<String> dropEnv = new ArrayList<>();

  @Option(names = "--keep-env", paramLabel = "PATTERN", description = "Keep variables matching PATTERN even if a drop pattern matches.")
  List<String> keepEnv = new ArrayList<>();

  @Option(names = "--trace-timeout", paramLabel = "SECONDS", defaultValue = "600", description = "Kill the recording run after this long (default ${DEFAULT-VALUE}).")
  long traceTimeout;

  @Parameters(index = "0", paramLabel = "PROGRAM", description = "The program: a path, or a name looked up in PATH.")
  String program;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments, recorded in the launch (and used by --trace).")
  List<String> args = new ArrayList<>();

  /**
   * Locates the program, emulates this host's loader, and captures with the caller's environment
   * ({@link CallerEnvironment}); warnings go to {@code err}.
   */
  ClosureCapture.Capture capture(PrintWriter err) throws Exception {
    Map<String, String> env = CallerEnvironment.get();
    String cwd = Path.of("").toAbsolutePath().toString();
    String path = ProgramLocator.locate(program, env.get("PATH"), cwd);
    String interpreter = HostResolver.X86_64_INTERPRETER;
    if (ElfReader.isElf(Path.of(path))) {
      ElfFile elf = ElfReader.read(Path.of(path));
      interpreter = elf.interpreter().orElse(interpreter);
    }
    HostResolver.Built built = HostResolver.forInterpreter(interpreter);
    built.warning().ifPresent(w -> err.println("warning: " + w));
    List<String> exclude = new ArrayList<>(ClosureCapture.DEFAULT_TRACE_EXCLUDE);
    exclude.addAll(traceExclude);
    ClosureCapture.Options options = new ClosureCapture.Options(
        includes, trace, exclude, traceInclude, traceKeepWritten, EnvFilter.defaults().with(dropEnv, keepEnv));
    List<String> argv = new ArrayList<>();
    argv.add(program);
    argv.addAll(args);
    Path scratch = Files.createTempDirectory("closure-cache-");
    try {
      // the recording run reads the caller's stdin: `python3 - < job.py` must run job.py
      StraceRecorder recorder = new StraceRecorder("strace", traceTimeout, ProcessBuilder.Redirect.INHERIT);
      ClosureCapture.Capture capture;
      try {
        capture = new ClosureCapture(built.resolver(), recorder, scratch).capture(path, argv, env, cwd, options);
      } catch (ExcludedProgramException e) {
        e.warnings().forEach(w -> err.println("warning: " + w));
        err.flush();
        throw e;
      }
      capture.warnings().forEach(w -> err.println("warning: " + w));
      int written = capture.leftOutWritten().size();
      if (written > 0) {
        err.println("left out " + written + (written == 1 ? " path" : " paths") + " the recording run wrote or made"
            + " itself (its output, not the program); --trace-keep-written keeps them");
      }
      err.flush();
      return capture;
    } finally {
      Files.deleteIfExists(scratch);
    }
  }
}
