package org.closurecache.shim.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.closurecache.client.cache.NodeCache;
import org.closurecache.client.cli.NodeOptions;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.pull.Puller;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.manifest.Ref;
import org.closurecache.shim.launch.Modes;
import org.closurecache.shim.launch.Preparer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code exec-shim run}: prepares a launch in the JVM (pull if needed, guard rails, view and plan,
 * view check) and hands the launcher's argument vector to the launch script, which replaces itself
 * with {@code exec-view}: a JVM cannot {@code execve}. Started without the script, it says so.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Runs the job REF names (a manifest digest sha256:... or a tag) from the node cache, as it ran on the publishing host: the same executable, libraries, environment and arguments.",
        "",
        "Pulls the closure if the cache lacks any of it, refuses a closure for another machine type or a CPU level this node lacks, builds the job's view once (its files at their original paths, hard links into the cache), checks it, and replaces itself with the job: the exit status is the job's.",
        "",
        "Environment: exactly the recorded one, plus node variables matching the pass-through patterns (by default SLURM_*, PMI_*, PMIX_*, OMPI_*, MPI_LOCALRANKID, MPI_LOCALNRANKS, HYDRA_*, PBS_*, FLUX_*, CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES), plus --env overrides.",
        "Working directory: --cwd, else the recorded one when it exists on this node, else the current one. With --root isolated the working directory is bound into the job's root read-write.",
        "Descriptors: only 0, 1 and 2 reach the job, plus --keep-fd ones and the one PMI_FD names when it is passed through.",
        "",
        "Once the view exists, deploy/bin/exec-view starts the same job with no JVM (see its --help)."},
    footer = {"", "Exit status: the job's; 1 when the launch failed before the job started (reason on stderr), 2 bad usage.",
        "", "Examples:",
        "  exec-shim run --master http://head:7070 --trust publisher.pub python",
        "  exec-shim run --root host sha256:4f3c... -- -c 'print(42)'"})
final class RunCommand implements Callable<Integer> {
  private static final Pattern ENV_NAME = Pattern.compile("[^=\\x00]+");

  @Spec CommandSpec spec;

  @Option(names = "--mode", paramLabel = "auto|namespace|loader", defaultValue = "auto",
      description = "namespace: bubblewrap gives the job the view as its root; loader: the cached ld.so runs it on the node's root (warns of its limits); auto (default): namespace when bwrap works here.")
  String mode;

  @Option(names = "--root", paramLabel = "isolated|host", defaultValue = "isolated",
      description = "Namespace mode's root: isolated (default) is the view plus /proc, /dev, a private /tmp and the working directory; host is the node's root with the view's top-level directories laid over it.")
  String root;

  @Option(names = "--pass-env", paramLabel = "PATTERN",
      description = "Also pass node variables whose names match this glob (repeatable).")
  List<String> passEnv = new ArrayList<>();

  @Option(names = "--no-default-pass-env", description = "Do not pass the default patterns listed above.")
  boolean noDefaultPassEnv;

  @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Set a variable in the job's environment (repeatable; wins over everything).")
  List<String> env = new ArrayList<>();

  @Option(names = "--cwd", paramLabel = "DIR", description = "The job's working directory.")
  String cwd;

  @Option(names = "--keep-fd", paramLabel = "N", description = "Pass this inherited descriptor to the job (repeatable).")
  List<Integer> keepFds = new ArrayList<>();

  @Option(names = "--rebuild", description = "Discard the view and build it again (after it failed verification).")
  boolean rebuild;

  @Option(names = "--verbose", description = "Say on stderr what was pulled and built.")
  boolean verbose;

  @Option(names = "--emit-to", hidden = true, description = "Where the launch script wants exec-view's arguments.")
  Path emitTo;

  @Mixin NodeOptions node;

  @Parameters(index = "0", paramLabel = "REF", description = "A manifest digest (sha256:...) or a tag name.")
  Ref ref;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "After --: run the recorded program with these arguments instead of the recorded ones.")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    validate();
    if (emitTo == null) {
      throw new ParameterException(spec.commandLine(),
          "run must be started through the exec-shim launch script (deploy/bin/exec-shim), which replaces itself with the job");
    }
    ClientSettings settings = node.settings();
    PrintWriter err = spec.commandLine().getErr();
    Preparer.Prepared prepared = new Preparer(settings.cache(), err).prepare(ref, r -> pull(node, settings, err, r), rebuild);
    Modes.Mode chosen = Modes.resolve(Modes.Mode.valueOf(mode.toUpperCase(Locale.ROOT)), "bwrap");
    if (verbose) {
      prepared.pulled().ifPresent(p -> err.printf(Locale.ROOT, "exec-shim: pulled %s: %d objects, %d fetched (%s)%n",
          p.manifest(), p.objects(), p.fetched(), Progress.human(p.bytesFetched())));
      err.printf(Locale.ROOT, "exec-shim: view %s (%s), %s mode%n", prepared.viewDir(),
          prepared.built().reused() ? "reused" : "built: " + prepared.built().links() + " links, "
              + prepared.built().variants() + " variant copies, " + prepared.built().symlinks() + " symlinks",
          chosen.wire());
      err.flush();
    }
    Files.write(emitTo, encode(launcherArgs(chosen, prepared.viewDir())));
    return 0;
  }

  /** Pulls {@code ref} through the client library: a progress bar on a terminal, else silent. */
  static Puller.Result pull(NodeOptions node, ClientSettings settings, PrintWriter err, Ref ref) throws Exception {
    try (MasterClient master = node.master(settings); NodeCache cache = NodeOptions.openCache(settings, err)) {
      Progress progress = System.console() != null ? new Progress(err, true, "pulling") : Progress.silent();
      return new Puller(master, cache, NodeOptions.trusted(settings), settings.parallelism()).pull(ref, progress);
    }
  }

  /** The arguments of deploy/bin/exec-view for this launch. */
  List<String> launcherArgs(Modes.Mode chosen, Path viewDir) {
    List<String> out = new ArrayList<>(List.of("--mode", chosen.wire(), "--root", root));
    if (noDefaultPassEnv) {
      out.add("--no-default-pass-env");
    }
    passEnv.forEach(p -> out.addAll(List.of("--pass-env", p)));
    env.forEach(e -> out.addAll(List.of("--env", e)));
    keepFds.forEach(fd -> out.addAll(List.of("--keep-fd", fd.toString())));
    if (cwd != null) {
      out.addAll(List.of("--cwd", cwd));
    }
    out.add(viewDir.toString());
    if (!args.isEmpty()) {
      out.add("--");
      out.addAll(args);
    }
    return out;
  }

  private void validate() {
    if (!List.of("auto", "namespace", "loader").contains(mode)) {
      throw new ParameterException(spec.commandLine(), "--mode must be auto, namespace or loader, not " + mode);
    }
    if (!List.of("isolated", "host").contains(root)) {
      throw new ParameterException(spec.commandLine(), "--root must be isolated or host, not " + root);
    }
    for (String e : env) {
      int eq = e.indexOf('=');
      if (eq <= 0 || !ENV_NAME.matcher(e.substring(0, eq)).matches()) {
        throw new ParameterException(spec.commandLine(), "--env wants NAME=VALUE, got " + e);
      }
    }
    for (String p : passEnv) {
      if (p.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--pass-env wants a non-empty name pattern");
      }
    }
    for (int fd : keepFds) {
      if (fd < 0) {
        throw new ParameterException(spec.commandLine(), "--keep-fd wants a descriptor number, got " + fd);
      }
    }
    if (cwd != null && !cwd.startsWith("/")) {
      throw new ParameterException(spec.commandLine(), "--cwd wants an absolute path, got " + cwd);
    }
    for (String a : args) {
      if (a.indexOf('\0') >= 0) {
        throw new ParameterException(spec.commandLine(), "arguments cannot hold NUL");
      }
    }
  }

  static byte[] encode(List<String> values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String v : values) {
      out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
      out.write(0);
    }
    return out.toByteArray();
  }
}
