package org.closurecache.client.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.closurecache.core.sign.KeyFiles;
import org.closurecache.core.sign.KeyId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cache-client keygen}: make an Ed25519 publisher key pair. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
        "Generates an Ed25519 key pair for signing manifests and tags.",
        "",
        "Writes PREFIX.key, the private key as PEM PKCS#8, created with mode 0600 (keep it on the publishing host only), and PREFIX.pub, the public key as PEM SubjectPublicKeyInfo (copy it to every node that should trust this publisher). Both are standard formats: openssl pkey reads them. Prints the key id (first 8 bytes of SHA-256 of the public key, in hex)."},
    footer = {"", "Example:", "  cache-client keygen --out /etc/closure-cache/publisher"})
final class KeygenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "Path prefix of the two files to write.")
  Path prefix;

  @Option(names = "--force", description = "Overwrite existing key files (the old private key is lost).")
  boolean force;

  @Override
  public Integer call() throws Exception {
    KeyId id = KeyFiles.writeKeyPair(prefix, force);
    spec.commandLine().getOut().printf("key id %s%nprivate key %s (mode 0600)%npublic key  %s%n",
        id, KeyFiles.privateKeyPath(prefix), KeyFiles.publicKeyPath(prefix));
    return 0;
  }
}
