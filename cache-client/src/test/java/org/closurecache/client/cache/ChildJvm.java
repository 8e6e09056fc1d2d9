package org.closurecache.client.cache;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test main class run in its own JVM, with its stdout lines collected on a thread. */
final class ChildJvm implements AutoCloseable {
  final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Thread reader;

  private ChildJvm(Process process) {
    this.process = process;
    this.reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the child died; what was read is in lines
      }
    }, "child-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildJvm start(Class<?> main, Path stderr, String... args) throws IOException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "-Xmx64m",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
        .start();
    return new ChildJvm(p);
  }

  /** The next stdout line, or null after the timeout. */
  String nextLine(long timeout, TimeUnit unit) throws InterruptedException {
    return lines.poll(timeout, unit);
  }

  void awaitLine(String expected, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(100, TimeUnit.MILLISECONDS);
      if (expected.equals(line)) {
        return;
      }
      if (line == null && !process.isAlive() && lines.isEmpty()) {
        break;
      }
    }
    throw new AssertionError("child " + process.pid() + " did not print \"" + expected + "\" within "
        + seconds + " s (alive: " + process.isAlive() + ")");
  }

  void sendLine() throws IOException {
    OutputStream in = process.getOutputStream();
    in.write('\n');
    in.flush();
  }

  /** SIGKILL, then every line the child printed before it died. */
  List<String> kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    reader.join(10_000);
    List<String> rest = new java.util.ArrayList<>();
    lines.drainTo(rest);
    return rest;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
