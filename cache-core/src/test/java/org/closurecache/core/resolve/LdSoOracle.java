package org.closurecache.core.resolve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs glibc's own {@code ld.so --list} and reads what it printed: the oracle. */
final class LdSoOracle {
  static final String LD_SO = "/lib64/ld-linux-x86-64.so.2";

  /** One line of the listing, vdso left out; {@code path} is null for "not found". */
  record Line(String name, String path) {
    @Override
    public String toString() {
      return path == null ? name + " => not found" : name.equals(path) ? path : name + " => " + path;
    }
  }

  /** The listing, or null when the loader could not list the file (crashed, not dynamic). */
  record Listing(List<Line> lines, int exitStatus, String raw) {
    boolean hasMissing() {
      return firstMissing() != null;
    }

    /** ld.so --list stops at the first library it cannot find; older modes print "not found". */
    String firstMissing() {
      Matcher m = FATAL.matcher(raw);
      if (m.find()) {
        return m.group(1);
      }
      return lines.stream().filter(l -> l.path() == null).map(Line::name).findFirst().orElse(null);
    }
  }

  private static final Pattern FATAL =
      Pattern.compile("error while loading shared libraries: ([^:]+): cannot open shared object file");

  static Listing list(String file, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(LD_SO, "--list", file).redirectErrorStream(true);
    pb.environment().remove("LD_LIBRARY_PATH");
    pb.environment().remove("LD_PRELOAD");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("ld.so --list " + file + " hung");
    }
    List<Line> lines = new ArrayList<>();
    for (String raw : out.split("\n")) {
      if (!raw.startsWith("\t")) {
        continue;
      }
      String line = raw.substring(1);
      int arrow = line.indexOf(" => ");
      if (arrow >= 0) {
        String name = line.substring(0, arrow);
        String rest = line.substring(arrow + 4);
        if (rest.startsWith("not found")) {
          lines.add(new Line(name, null));
        } else {
          lines.add(new Line(name, rest.substring(0, rest.lastIndexOf(" (0x"))));
        }
      } else {
        int paren = line.lastIndexOf(" (0x");
        String path = paren >= 0 ? line.substring(0, paren) : line;
        if (path.startsWith("/")) {
          lines.add(new Line(path, path));
        }
      }
    }
    return new Listing(lines, p.exitValue(), out);
  }

  static List<Line> render(Resolution r) {
    List<Line> out = new ArrayList<>();
    for (LoadedObject o : r.loadOrder()) {
      out.add(new Line(o.firstName(), o.path()));
    }
    return out;
  }

  private LdSoOracle() {}
}
