package org.closurecache.shim.e2e;

import static org.closurecache.shim.e2e.Site.assertOk;
import static org.closurecache.shim.e2e.Site.assertSameRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.closurecache.client.view.ViewLayout;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.shim.e2e.Site.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a job is started, on one traced python closure pulled once into an empty cache: what the
 * job sees as {@code /proc/self/exe}, its environment and its descriptors, exit statuses and
 * signals, loader mode and the host root. The recorded command is a probe that prints those facts
 * as JSON; other checks run the same python with {@code -- -c ...}.
 */
class PythonJobIT {
  static final String PROBE = String.join("\n",
      "import json, os, sys",
      "print(json.dumps({'argv': sys.argv, 'exe': os.readlink('/proc/self/exe'), 'executable': sys.executable,",
      "    'cwd': os.getcwd(), 'env': dict(os.environ), 'fds': sorted(os.listdir('/proc/self/fd'), key=int)},",
      "    sort_keys=True))");
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> NAMESPACE = List.of("--mode", "namespace");

  @TempDir static Path shared;
  static Site site;
  static Path cache;
  static Digest probe;
  static Manifest manifest;
  static Run cold;

  @BeforeAll
  static void publishAndPull() throws Exception {
    site = Site.start(shared.resolve("master"));
    Map<String, String> env = new TreeMap<>(Site.PUBLISH_ENV);
    env.put("FIDELITY_LABEL", "recorded");
    Path cwd = Files.createDirectories(shared.resolve("publish"));
    probe = site.publish(cwd, env, Site.Capture.TRACED, "/usr/bin/python3", "-c", PROBE);
    cache = shared.resolve("cache");
    // The first launch pulls into the empty cache; no node variable may pass (none is expected).
    cold = site.shim(cache, Map.of(), List.of("--mode", "namespace", "--no-default-pass-env"), probe);
    manifest = Site.manifest(cache, probe);
  }

  @AfterAll
  static void stopMaster() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void probe_sameExeEnvironmentAndDescriptorsAsOnHost() throws Exception {
    Run host = Site.host(manifest, null);
    assertSameRun(host, cold);
    Map<String, Object> facts = facts(cold);
    String python = Path.of("/usr/bin/python3").toRealPath().toString();
    assertEquals(python, facts.get("exe"), "/proc/self/exe is the original path (" + python + ")");
    assertEquals("/usr/bin/python3", facts.get("executable"));
    assertEquals(manifest.launch().env(), facts.get("env"));
  }

  @Test
  void exitStatus3_isTheShimsExitStatus() throws Exception {
    String[] exit3 = {"-c", "import sys; print('leaving'); sys.exit(3)"};
    Run host = Site.host(manifest, null, exit3);
    assertEquals(3, host.status());
    assertSameRun(host, site.shim(cache, Map.of(), NAMESPACE, probe, exit3));
  }

  @Test
  void killedBySignal_sameStatusAsOnHost() throws Exception {
    // The signal module is not in the traced closure; os.kill with the number needs none.
    String[] kill = {"-c", "import os; os.kill(os.getpid(), 9)"};
    Run host = Site.host(manifest, null, kill);
    assertEquals(128 + 9, host.status(), "Java reports a child killed by SIGKILL as 137");
    assertSameRun(host, site.shim(cache, Map.of(), NAMESPACE, probe, kill));
  }

  @Test
  void environment_isTheRecordedOnePlusPassedVariablesPlusOverrides() throws Exception {
    Map<String, String> nodeEnv = Map.of("SLURM_FOO", "from-node", "SLURM_WIN", "from-node", "PMIX_RANK", "3",
        "MY_VAR", "mine", "MY_OTHER", "two", "UNRELATED_NODE_VAR", "stays on the node");
    Run job = site.shim(cache, nodeEnv, List.of("--pass-env", "MY_*", "--env", "FIDELITY_LABEL=override",
        "--env", "SLURM_WIN=from-flag"), probe);
    assertOk(job);
    Map<String, String> expected = new TreeMap<>(manifest.launch().env());
    assertEquals("recorded", expected.get("FIDELITY_LABEL"));
    expected.putAll(Map.of("FIDELITY_LABEL", "override", "SLURM_FOO", "from-node", "SLURM_WIN", "from-flag",
        "PMIX_RANK", "3", "MY_VAR", "mine", "MY_OTHER", "two"));
    assertEquals(expected, facts(job).get("env"));

    // Without the default patterns, and through exec-view: exactly the recorded environment.
    Run bare = Site.view(cache, probe, nodeEnv, List.of("--no-default-pass-env"));
    assertOk(bare);
    assertEquals(manifest.launch().env(), facts(bare).get("env"));
  }

  @Test
  void descriptors_onlyStandardOnesReachTheJob_unlessKept() throws Exception {
    List<String> hostFds = fds(Site.host(manifest, null));  // 0, 1, 2 and the listing's own
    List<String> kept = new ArrayList<>(hostFds);
    kept.add("7");
    // The test's process hands descriptor 7 to the launcher, as a Slurm step or mpirun might.
    String hand7 = "exec 7</dev/null; exec \"$@\"";
    List<String> closed = new ArrayList<>(List.of("/bin/bash", "-c", hand7, "bash"));
    closed.addAll(site.shimCommand(cache, List.of(), probe));
    assertEquals(hostFds, fds(Site.run(closed, Site.NODE_ENV, null)));

    List<String> keep = new ArrayList<>(List.of("/bin/bash", "-c", hand7, "bash"));
    keep.addAll(site.shimCommand(cache, List.of("--keep-fd", "7"), probe));
    assertEquals(kept, fds(Site.run(keep, Site.NODE_ENV, null)));

    List<String> view = new ArrayList<>(List.of("/bin/bash", "-c", hand7, "bash",
        Site.BIN.resolve("exec-view").toString(), Site.viewDir(cache, probe).toString()));
    assertEquals(hostFds, fds(Site.run(view, Site.NODE_ENV, null)));
  }

  @Test
  void loaderMode_runsAndWarnsOfItsLimitsOnOneLine() throws Exception {
    Run job = site.shim(cache, Map.of(), List.of("--mode", "loader"), probe,
        "-c", "import os; print(1); print(os.readlink('/proc/self/exe'))");
    assertOk(job);
    List<String> out = job.lines();
    assertEquals("1", out.get(0));
    // The documented limit, seen: /proc/self/exe is the view's loader.
    Path root = ViewLayout.rootOf(Site.viewDir(cache, probe));
    assertTrue(out.get(1).startsWith(root + "/") && out.get(1).endsWith("/ld-linux-x86-64.so.2"), out.get(1));
    List<String> warning = job.err().lines().toList();
    assertEquals(1, warning.size(), job.err());
    assertTrue(warning.get(0).contains("loader mode") && warning.get(0).contains("/proc/self/exe"), job.err());
  }

  @Test
  void hostRoot_readsNodeFilesOutsideTheClosure_andRunsTheViewsPython(@TempDir Path dir) throws Exception {
    Path nodeFile = Files.writeString(dir.resolve("node-only.txt"), "written by the node\n");
    Run job = site.shim(cache, Map.of(), List.of("--mode", "namespace", "--root", "host"), probe, "-c",
        "import os, sys; st = os.stat('/proc/self/exe')\n"
            + "print(open(sys.argv[1]).read().strip()); print(os.readlink('/proc/self/exe'), st.st_dev, st.st_ino)",
        nodeFile.toString());
    assertOk(job);
    String python = Path.of("/usr/bin/python3").toRealPath().toString();
    Path inView = ViewLayout.inside(ViewLayout.rootOf(Site.viewDir(cache, probe)), python);
    String view = python + " " + Files.getAttribute(inView, "unix:dev", LinkOption.NOFOLLOW_LINKS) + " "
        + Files.getAttribute(inView, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    assertEquals(List.of("written by the node", view), job.lines(), "the node's file, the view's python");
    assertNotEquals(Files.getAttribute(Path.of(python), "unix:ino"), Files.getAttribute(inView, "unix:ino"));
  }

  private static Map<String, Object> facts(Run r) throws Exception {
    assertOk(r);
    return JSON.readValue(r.out(), new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  @SuppressWarnings("unchecked")
  private static List<String> fds(Run r) throws Exception {
    return (List<String>) facts(r).get("fds");
  }
}
