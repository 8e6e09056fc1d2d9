package org.closurecache.client.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.closurecache.client.kit.KitBuilder;
import org.closurecache.client.master.MasterClient;
import org.closurecache.client.progress.Progress;
import org.closurecache.client.publish.Publisher;
import org.closurecache.client.settings.ClientSettings;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.core.sign.PublicKey;
import org.closurecache.core.sign.Signer;
import org.closurecache.store.fs.FileTrees;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cache-client kit}: the node kit, the closure a bare node bootstraps from. */
@Command(
    name = "kit",
    mixinStandardHelpOptions = true,
    description = {
        "The node kit: everything a node needs to pull, verify, cache and launch (a jlinked Java runtime, the node jars, bash, bubblewrap, the launch scripts, the public keys the node trusts), published as one signed closure. A node with only busybox gets it with deploy/node/bootstrap, given a master and the kit's manifest digest."},
    subcommands = {KitCommand.Publish.class, CommandLine.HelpCommand.class})
final class KitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** {@code cache-client kit publish}. */
  @Command(
      name = "publish",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
          "Builds the node kit on this host and publishes it as an ordinary signed closure: makes a Java runtime with jlink from --jdk holding only the modules the node commands use, stages the node jar, RocksDB's native library, the launch scripts and the keys of --node-trust, adds bash and bubblewrap of this host with the ELF closure of every program and library in the kit, uploads what the master lacks, signs the manifest with --key and moves --tag to it.",
          "",
          "Reports the kit's size on stderr and prints its manifest digest (sha256:...) as the last line on stdout: give that digest to deploy/node/bootstrap on the nodes (a kernel command line or a DHCP option can carry it; it authenticates everything else)."},
      footer = {"", "Example:",
          "  kit=$(cache-client kit publish --master http://head:7070 --key publisher.key --token-file token)",
          "  # on a node with only busybox:",
          "  sh bootstrap --master http://head:7070 --kit \"$kit\""})
  static final class Publish implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--key", required = true, paramLabel = "KEYFILE", description = "The publisher's private key (from keygen): signs the kit.")
    Path key;

    @Option(names = "--tag", paramLabel = "NAME", defaultValue = "node-kit", description = "Move this tag to the kit (default ${DEFAULT-VALUE}).")
    String tag;

    @Option(names = "--node-trust", paramLabel = "PUBKEY", split = ",",
        description = "Public keys (.pub) whose signatures nodes accept after the bootstrap (default: the public half of --key).")
    List<Path> nodeTrust = new ArrayList<>();

    @Option(names = "--jdk", paramLabel = "DIR", description = "The JDK whose jlink and jmods make the runtime (default: the JDK running this command).")
    Path jdk;

    @Option(names = "--quiet", description = "No progress, only the digest.")
    boolean quiet;

    @Mixin NodeOptions node;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String bin = System.getProperty("closurecache.bin");
      if (bin == null) {
        throw new IllegalStateException("kit publish finds the node jars and scripts beside the launch script;"
            + " run it as deploy/bin/cache-client kit publish");
      }
      Signer signer = Signer.load(key);
      List<PublicKey> trust = new ArrayList<>();
      if (nodeTrust.isEmpty()) {
        trust.add(signer.publicKey());
      }
      for (Path p : nodeTrust) {
        trust.add(KeyFiles.readPublicKey(p));
      }
      ClientSettings settings = node.settings();
      Path home = jdk != null ? jdk : Path.of(System.getProperty("java.home"));
      KitBuilder.Sources sources = KitBuilder.Sources.locate(Path.of(bin), home);
      Path stage = Files.createTempDirectory("closure-cache-kit-");
      try {
        if (!quiet) {
          err.println("building the node kit (jlink " + String.join(",", KitBuilder.MODULES) + " from " + home + ")");
          err.flush();
        }
        KitBuilder.Kit kit = new KitBuilder(sources, trust).build(stage);
        KitBuilder.Stats s = kit.stats();
        Progress progress = quiet ? Progress.silent() : new Progress(err, System.console() != null, "uploading");
        try (MasterClient master = node.master(settings)) {
          Publisher.Result r = new Publisher(master, signer, settings.parallelism(), Clock.systemUTC())
              .publish(kit.manifest(), kit::source, Optional.of(tag), progress);
          if (!quiet) {
            err.printf("kit: %d files, %d objects, %s (runtime: Java %s, %s); %d uploaded (%s); tag %s at revision %d%n",
                s.files(), s.objects(), mib(s.bytes()), s.javaVersion(), mib(s.runtimeBytes()), r.uploaded(),
                mib(r.bytesUploaded()), tag, r.tagRevision().orElse(0L));
            err.flush();
          }
          out.println(r.manifest());
          out.flush();
        }
      } finally {
        FileTrees.delete(stage);
      }
      return 0;
    }

    private static String mib(long bytes) {
      return String.format("%.1f MiB", bytes / 1048576.0);
    }
  }
}
