package org.closurecache.shim.e2e;

import static org.closurecache.shim.e2e.Site.assertOk;
import static org.closurecache.shim.e2e.Site.assertSameRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * The promise itself, with real programs: published on this host (traced where they open files at
 * run time), pulled by {@code exec-shim run} into an empty cache, run in namespace mode with an
 * isolated root (only the view, /proc, /dev, a private /tmp and the working directory), and
 * compared with the host run of the same command: stdout, stderr and exit status. One master for
 * the class; every test starts from its own empty cache.
 */
class FidelityIT {
  static final List<String> ISOLATED = List.of("--mode", "namespace", "--root", "isolated");
  static final String JDK17 = "/usr/lib/jvm/java-17-openjdk-amd64";
  /** Not installed by .ci/run: its test runs where it is there. */
  static final Path TEMURIN25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

  @TempDir static Path shared;
  static Site site;

  @BeforeAll
  static void startMaster() throws IOException {
    site = Site.start(shared.resolve("master"));
  }

  @AfterAll
  static void stopMaster() {
    if (site != null) {
      site.close();
    }
  }

  static final String PYTHON_PROGRAM = String.join("\n",
      "import ssl, sqlite3, json, hashlib, importlib.util, os, sys",
      "db = sqlite3.connect(':memory:')",
      "db.execute('create table t (x integer)')",
      "db.executemany('insert into t values (?)', [(i,) for i in range(10)])",
      "print(ssl.OPENSSL_VERSION, ssl.create_default_context().verify_mode)",
      "print(sqlite3.sqlite_version, db.execute('select sum(x) from t').fetchone()[0])",
      "print(json.dumps({'b': [1, 2.5, None], 'a': '\\u00e9'}, sort_keys=True))",
      "print(hashlib.sha256(b'closure').hexdigest(), hashlib.blake2b(b'x', digest_size=8).hexdigest())",
      // A .pyc is used only while its header matches the source's mtime and size: flags 0
      // (timestamp-based), then mtime and size; a view that showed other mtimes would recompile.
      "def pyc(m):",
      "    cached = importlib.util.cache_from_source(m.__file__)",
      "    with open(cached, 'rb') as f:",
      "        header = f.read(16)",
      "    st = os.stat(m.__file__)",
      "    return (m.__cached__ == cached, int.from_bytes(header[4:8], 'little'),",
      "            int.from_bytes(header[8:12], 'little') == int(st.st_mtime),",
      "            int.from_bytes(header[12:16], 'little') == st.st_size & 0xFFFFFFFF)",
      "for m in (ssl, sqlite3, json, hashlib):",
      "    print(m.__name__, 'pyc', *pyc(m))",
      "print(sys.version)");

  @Test
  void python_sslSqliteJsonHashlib_sameOutputAsOnHost_andPycFilesStayValid(@TempDir Path dir) throws Exception {
    Path cache = dir.resolve("cache");
    Digest d = site.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED, "/usr/bin/python3", "-c", PYTHON_PROGRAM);

    Run job = site.shim(cache, Map.of(), ISOLATED, d);
    Manifest m = Site.manifest(cache, d);
    assertSameRun(Site.host(m, null), job);
    for (String module : List.of("ssl", "sqlite3", "json", "hashlib")) {
      assertTrue(job.lines().contains(module + " pyc True 0 True True"), job.out());
    }

    // Python says for itself whether it took each module's bytecode: "# X.pyc matches X.py" and
    // "# code object from X.pyc"; a stale one would say "bytecode is stale" and recompile.
    String[] verbose = {"-v", "-c", "import ssl, sqlite3, json, hashlib"};
    Run hostVerbose = Site.host(m, null, verbose);
    Run jobVerbose = Site.view(cache, d, Map.of(), List.of("--mode", "namespace"), verbose);
    assertOk(jobVerbose);
    List<String> hostPyc = pycLines(hostVerbose.err());
    assertFalse(hostPyc.isEmpty(), hostVerbose.err());
    assertEquals(hostPyc, pycLines(jobVerbose.err()));
    assertFalse(jobVerbose.err().contains("stale"), jobVerbose.err());
  }

  private static List<String> pycLines(String verboseStderr) {
    return verboseStderr.lines().filter(l -> l.startsWith("# ") && l.contains(".pyc")).toList();
  }

  @Test
  void git_initAddCommit_sameCommitAsOnHost(@TempDir Path dir) throws Exception {
    Map<String, String> env = new LinkedHashMap<>(Site.PUBLISH_ENV);
    env.putAll(Map.of("GIT_AUTHOR_NAME", "Fidelity Test", "GIT_AUTHOR_EMAIL", "fidelity@example.org",
        "GIT_AUTHOR_DATE", "2020-01-02T03:04:05Z", "GIT_COMMITTER_NAME", "Fidelity Test",
        "GIT_COMMITTER_EMAIL", "fidelity@example.org", "GIT_COMMITTER_DATE", "2020-01-02T03:04:05Z",
        "GIT_CONFIG_NOSYSTEM", "1"));
    // The representative run is a commit in a repository made here; init's templates are not read
    // by it, so they are included. The publisher's default filter drops *AUTH* names, which takes
    // GIT_AUTHOR_* with it: keep those.
    Path repo = Files.createDirectories(dir.resolve("repo"));
    assertOk(Site.run(List.of("/usr/bin/git", "init", "-q", "-b", "main"), env, repo));
    Files.writeString(repo.resolve("recorded.txt"), "recorded\n");
    assertOk(Site.run(List.of("/usr/bin/git", "add", "recorded.txt"), env, repo));
    Site.Capture how = Site.Capture.TRACED.including("/usr/share/git-core/templates").keepingEnv("GIT_AUTHOR_*");
    Digest d = site.publish(repo, env, how, "/usr/bin/git", "commit", "-q", "-m", "recorded");

    // The same scratch path for both runs, so even "Initialized empty Git repository in ..." matches;
    // the job first (its cold pull brings the manifest whose environment the host run then uses).
    Path cache = dir.resolve("cache");
    Path work = dir.resolve("work");
    List<String[]> steps = List.of(
        new String[] {"init", "-b", "main"},
        new String[] {"add", "hello.txt"},
        new String[] {"commit", "-m", "first commit"},
        new String[] {"log", "--format=%H %T %an <%ae> %aI %cI %s"},
        new String[] {"cat-file", "-p", "HEAD"},
        new String[] {"status", "--porcelain", "--branch"});
    List<Run> inJob = new ArrayList<>();
    Files.createDirectories(work);
    for (String[] step : steps) {
      prepare(work, step);
      inJob.add(step[0].equals("init")
          ? site.shim(cache, Map.of(), cwd(work), d, step)  // the cold pull
          : Site.view(cache, d, Map.of(), cwd(work), step));
    }
    Site.deleteTree(work);

    Map<String, String> recorded = Site.manifest(cache, d).launch().env();
    Files.createDirectories(work);
    for (int i = 0; i < steps.size(); i++) {
      prepare(work, steps.get(i));
      Run onHost = Site.run(argv("/usr/bin/git", steps.get(i)), recorded, work);
      assertOk(onHost);
      assertSameRun(onHost, inJob.get(i));
    }
    assertTrue(inJob.get(2).out().startsWith("[main (root-commit) "), inJob.get(2).out());
    assertTrue(inJob.get(3).out().contains(" 2020-01-02T03:04:05+00:00 2020-01-02T03:04:05+00:00 first commit"),
        "the recorded dates: " + inJob.get(3).out());
  }

  private static void prepare(Path work, String[] step) throws IOException {
    if (step[0].equals("add")) {
      Files.writeString(work.resolve("hello.txt"), "hello from the closure\n");
    }
  }

  @Test
  void perl_posix_sameOutputAsOnHost(@TempDir Path dir) throws Exception {
    Path cache = dir.resolve("cache");
    Digest d = site.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED, "/usr/bin/perl", "-MPOSIX", "-e",
        "print floor(2.5), ' ', ceil(2.5), ' ', fmod(7, 3), ' ', strftime('%Y-%m-%d %H:%M:%S', gmtime(86400 * 365)),"
            + " ' ', DBL_DIG, \"\\n\"; printf(\"%s %s\\n\", $^V, $0); print STDERR \"perl says hi\\n\"; exit 0");
    Run job = site.shim(cache, Map.of(), ISOLATED, d);
    assertSameRun(Site.host(Site.manifest(cache, d), null), job);
    assertTrue(job.out().startsWith("2 3 1 1971-01-01 00:00:00 15\n"), job.out());
    assertEquals("perl says hi\n", job.err());
  }

  @Test
  void bashScript_callingCoreutils_sameOutputAsOnHost(@TempDir Path dir) throws Exception {
    // Outside /tmp, like an installed script: the job sees the view's copy, not the node's.
    Path scripts = Files.createTempDirectory(Path.of(System.getProperty("user.dir"), "target"), "fidelity-script-");
    try {
      Path script = scripts.resolve("report.sh");
      Files.writeString(script, String.join("\n",
          "#!/bin/bash",
          "set -euo pipefail",
          "echo \"$(basename \"$0\") got $# arguments: $*\"",
          "printf 'pear\\napple\\nfig\\n' | sort | tr '\\n' ' '; echo",
          "printf 'one two three\\nfour\\n' | wc -l -w",
          "printf 'closure' | sha256sum",
          "date -u -d @0 '+%Y-%m-%d %H:%M:%S %Z'",
          "seq 1 5 | paste -sd+",
          "echo \"done in $(pwd)\" >&2",
          ""));
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path cache = dir.resolve("cache");
      Digest d = site.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED, script.toString(), "alpha", "beta");

      Run job = site.shim(cache, Map.of(), ISOLATED, d);
      assertSameRun(Site.host(Site.manifest(cache, d), null), job);
      assertTrue(job.out().startsWith("report.sh got 2 arguments: alpha beta\napple fig pear \n"), job.out());
    } finally {
      Site.deleteTree(scripts);
    }
  }

  @Test
  void script_publishedFromTmp_runsFromTheView(@TempDir Path dir, @TempDir Path elsewhere) throws Exception {
    Path script = dir.resolve("job.sh");
    Files.writeString(script, "#!/bin/sh\necho \"$0 in $(pwd)\"\necho scratch > out.txt && cat out.txt\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path cache = dir.resolve("cache");
    Digest d = site.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED, script.toString());

    // The recorded working directory is under /tmp and also in the view: the node's is bound
    // (writable), and the script is found although the job's /tmp is private.
    Run job = site.shim(cache, Map.of(), ISOLATED, d);
    assertSameRun(Site.host(Site.manifest(cache, d), null), job);

    // Elsewhere, with the node's copy gone: only the view's copy is left to run. (Not in a new
    // directory beside the script: that would lie inside the view's read-only bind of the script's
    // directory, where bubblewrap cannot make a mount point.)
    Files.delete(script);
    Run moved = Site.view(cache, d, Map.of(), List.of("--cwd", elsewhere.toString()));
    assertOk(moved);
    assertEquals(script + " in " + elsewhere + "\nscratch\n", moved.out());
  }

  @Test
  void scriptInTheWorkingDirectory_editedOnTheNode_thePublishedOneRunsAsItWasStarted(@TempDir Path dir)
      throws Exception {
    // Outside /tmp (whose paths a recording run leaves out), like a user's project directory.
    Path work = Files.createTempDirectory(Path.of(System.getProperty("user.dir"), "target"), "fidelity-cwd-");
    try {
      Path job = work.resolve("job.py");
      Files.writeString(job, String.join("\n",
          "#!/usr/bin/python3",
          "import os, sys",
          "given = open('input.txt').read().strip() if os.path.exists('input.txt') else '-'",
          "print('published script', sys.argv[0], open('data.txt').read().strip(), given)",
          "open('out.txt', 'w').write('written by the job')",
          ""));
      Files.setPosixFilePermissions(job, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.writeString(work.resolve("data.txt"), "published data\n");
      // input.txt is not there when the program is recorded: it is the node's, not the closure's
      Digest d = site.publish(work, Site.PUBLISH_ENV, Site.Capture.TRACED, "./job.py");
      Path cache = dir.resolve("cache");
      Run published = Site.run(List.of("./job.py"), Site.PUBLISH_ENV, work);
      assertOk(published);
      assertEquals("published script ./job.py published data -\n", published.out());

      // The node's copies are edited; its input changes; the job still writes its output here.
      Files.writeString(job, "#!/bin/sh\necho edited script\n");
      Files.writeString(work.resolve("data.txt"), "edited data\n");
      Files.writeString(work.resolve("input.txt"), "node input\n");
      Files.delete(work.resolve("out.txt"));
      Run run = site.shim(cache, Map.of(), ISOLATED, d);
      assertOk(run);
      assertEquals("published script ./job.py published data node input\n", run.out(), run.err());
      assertEquals("written by the job", Files.readString(work.resolve("out.txt")));
      assertEquals("#!/bin/sh\necho edited script\n", Files.readString(job), "the node's file is left alone");

      // Gone from the node: the published script still runs, through exec-view as well.
      Files.delete(job);
      Run gone = Site.view(cache, d, Map.of(), List.of("--mode", "namespace"));
      assertOk(gone);
      assertEquals("published script ./job.py published data node input\n", gone.out(), gone.err());

      // From another directory ./job.py leads nowhere: the entry's absolute path runs instead.
      Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));  // not inside the read-only view
      Files.writeString(elsewhere.resolve("data.txt"), "other data\n");
      Files.writeString(elsewhere.resolve("input.txt"), "other input\n");
      Run moved = Site.view(cache, d, Map.of(), List.of("--mode", "namespace", "--cwd", elsewhere.toString()));
      assertOk(moved);
      assertEquals("published script " + job + " other data other input\n", moved.out(), moved.err());
    } finally {
      Site.deleteTree(work);
    }
  }

  @Test
  void recordedWithoutPwd_andStartedAsARelativePath_theJobSeesNoPwdAndTheRecordedArgv0(@TempDir Path dir)
      throws Exception {
    // A scheduler's clean environment (no PWD), and ./perl started from /usr/bin.
    String probe = "open my $f, '<', '/proc/self/cmdline' or die; local $/; my @argv = split /\\0/, <$f>;"
        + " print \"argv0=$argv[0] exe=\", readlink('/proc/self/exe'), ' ',"
        + " (exists $ENV{PWD} ? \"PWD=$ENV{PWD}\" : 'no PWD'), \"\\n\"";
    Map<String, String> env = new TreeMap<>(Site.PUBLISH_ENV);
    assertFalse(env.containsKey("PWD"));
    Digest d = site.publishExactly(Path.of("/usr/bin"), env, Site.Capture.TRACED, "./perl", "-e", probe);
    Path cache = dir.resolve("cache");
    String perl = Path.of("/usr/bin/perl").toRealPath().toString();
    Run host = Site.run(List.of("./perl", "-e", probe), env, Path.of("/usr/bin"));
    assertEquals("argv0=./perl exe=" + perl + " no PWD\n", host.out(), host.err());

    // In the recorded directory (bwrap runs ./perl itself; the helper only drops PWD), from
    // another one (./perl leads nowhere there: the helper gives the job its argv[0]), and on the
    // node's root.
    assertSameRun(host, site.shim(cache, Map.of(), ISOLATED, d));
    Run elsewhere = Site.view(cache, d, Map.of(), List.of("--mode", "namespace", "--cwd", dir.toString()));
    assertSameRun(host, elsewhere);
    assertSameRun(host, Site.view(cache, d, Map.of(), List.of("--mode", "namespace", "--root", "host")));

    // A view planned before the helper existed still runs, as it always did.
    Files.delete(ViewLayout.planOf(Site.viewDir(cache, d)).resolve("exec-helper"));
    Run old = Site.view(cache, d, Map.of(), List.of("--mode", "namespace", "--cwd", dir.toString()));
    assertEquals("argv0=/usr/bin/perl exe=" + perl + " PWD=" + dir + "\n", old.out(), old.err());
  }

  static final String SPAWN = String.join("\n",
      "import java.nio.file.Files;",
      "import java.nio.file.Path;",
      "public class Spawn {",
      "  public static void main(String[] args) throws Exception {",
      "    Process p = new ProcessBuilder(\"/usr/bin/uname\", \"-s\", \"-m\").redirectErrorStream(true).start();",
      "    String child = new String(p.getInputStream().readAllBytes()).strip();",
      "    System.out.println(\"child: \" + child + \" (exit \" + p.waitFor() + \")\");",
      "    System.out.println(\"java.home: \" + System.getProperty(\"java.home\"));",
      "    System.out.println(\"exe: \" + Files.readSymbolicLink(Path.of(\"/proc/self/exe\")));",
      "    System.out.println(\"version: \" + Runtime.version());",
      "    System.err.println(\"args: \" + String.join(\",\", args));",
      "  }",
      "}",
      "");

  @Test
  void java_versionAndAProgramStartingAChild_sameAsOnHost(@TempDir Path dir) throws Exception {
    // The classes live in the working directory, which the isolated root binds.
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path source = Files.writeString(dir.resolve("Spawn.java"), SPAWN);
    assertOk(Site.run(List.of(JDK17 + "/bin/javac", "-d", classes.toString(), source.toString()),
        Site.PUBLISH_ENV, dir));
    Path cache = dir.resolve("cache");
    Digest spawn = site.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED,
        JDK17 + "/bin/java", "-cp", classes.toString(), "Spawn", "one", "two");
    Run job = site.shim(cache, Map.of(), ISOLATED, spawn);
    assertSameRun(Site.host(Site.manifest(cache, spawn), null), job);
    assertTrue(job.out().startsWith("child: Linux x86_64 (exit 0)\njava.home: " + JDK17 + "\nexe: "
        + JDK17 + "/bin/java\n"), job.out());

    // java -version, its own manifest: the cache already holds most of the JDK.
    Digest version = site.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED, JDK17 + "/bin/java", "-version");
    Run versionJob = site.shim(cache, Map.of(), ISOLATED, version);
    assertSameRun(Site.host(Site.manifest(cache, version), null), versionJob);
    assertTrue(versionJob.err().contains("OpenJDK"), versionJob.err());
  }

  @Test
  void temurin25_version_sameStderrAsOnHost(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(TEMURIN25), TEMURIN25 + " is not installed here");
    Path cache = dir.resolve("cache");
    Digest d = site.publish(dir, Site.PUBLISH_ENV, Site.Capture.TRACED, TEMURIN25.toString(), "-version");
    Run job = site.shim(cache, Map.of(), ISOLATED, d);
    assertSameRun(Site.host(Site.manifest(cache, d), null), job);
    assertTrue(job.err().contains("Temurin"), job.err());
  }

  private static List<String> cwd(Path dir) {
    List<String> options = new ArrayList<>(ISOLATED);
    options.addAll(List.of("--cwd", dir.toString()));
    return options;
  }

  private static List<String> argv(String program, String... args) {
    List<String> out = new ArrayList<>(List.of(program));
    out.addAll(List.of(args));
    return out;
  }
}
