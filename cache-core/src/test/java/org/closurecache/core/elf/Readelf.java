package org.closurecache.core.elf;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test oracle: binutils' {@code readelf -hld -W}, parsed into an {@link ElfFile}. */
final class Readelf {
  private static final Pattern CLASS = Pattern.compile("^\\s*Class:\\s+(ELF32|ELF64)\\s*$");
  private static final Pattern DATA = Pattern.compile("^\\s*Data:\\s+.*(little|big) endian.*$");
  private static final Pattern TYPE = Pattern.compile("^\\s*Type:\\s+(EXEC|DYN|REL|CORE)\\b.*$");
  private static final Pattern MACHINE = Pattern.compile("^\\s*Machine:\\s+(.*?)\\s*$");
  private static final Pattern INTERP =
      Pattern.compile("^\\s*\\[Requesting program interpreter: (.*)\\]$");
  private static final Pattern DYNAMIC_PHDR = Pattern.compile("^\\s+DYNAMIC\\s+0x.*$");
  private static final Pattern ENTRY = Pattern.compile(
      "^\\s*0x[0-9a-f]+ \\((NEEDED|SONAME|RPATH|RUNPATH)\\)\\s+"
          + "(?:Shared library|Library soname|Library rpath|Library runpath): \\[(.*)\\]$");
  private static final Pattern FLAGS_1 = Pattern.compile("^\\s*0x[0-9a-f]+ \\(FLAGS_1\\)\\s+(.*)$");
  private static final Map<String, Integer> MACHINES = Map.of(
      "Advanced Micro Devices X86-64", ElfFile.EM_X86_64,
      "Intel 80386", ElfFile.EM_386,
      "AArch64", ElfFile.EM_AARCH64);

  private Readelf() {}

  static boolean available() {
    try {
      return run(List.of("readelf", "--version")).contains("readelf");
    } catch (IOException e) {
      return false;
    }
  }

  static ElfFile describe(Path file) throws IOException {
    return describeAll(List.of(file)).get(file);
  }

  /** Runs readelf once for many files; it then separates them with "File: name" lines. */
  static Map<Path, ElfFile> describeAll(List<Path> files) throws IOException {
    List<String> command = new ArrayList<>(List.of("readelf", "-hld", "-W"));
    files.forEach(f -> command.add(f.toString()));
    String output = run(command);
    Map<Path, ElfFile> result = new LinkedHashMap<>();
    if (files.size() == 1) {
      result.put(files.get(0), parse(files.get(0), output.lines().toList()));
      return result;
    }
    Path current = null;
    List<String> lines = new ArrayList<>();
    for (String line : output.lines().toList()) {
      if (line.startsWith("File: ")) {
        if (current != null) {
          result.put(current, parse(current, lines));
        }
        current = Path.of(line.substring("File: ".length()));
        lines = new ArrayList<>();
      } else {
        lines.add(line);
      }
    }
    if (current != null) {
      result.put(current, parse(current, lines));
    }
    return result;
  }

  private static ElfFile parse(Path file, List<String> lines) {
    ElfClass elfClass = null;
    ByteOrder order = null;
    int type = -1;
    Integer machine = null;
    String machineName = null;
    Optional<String> interp = Optional.empty();
    List<String> needed = new ArrayList<>();
    Optional<String> soname = Optional.empty();
    Optional<String> rpath = Optional.empty();
    Optional<String> runpath = Optional.empty();
    boolean nodeflib = false;
    boolean dynamic = false;
    for (String line : lines) {
      Matcher m;
      if ((m = CLASS.matcher(line)).matches()) {
        elfClass = ElfClass.valueOf(m.group(1));
      } else if ((m = DATA.matcher(line)).matches()) {
        order = m.group(1).equals("little") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
      } else if ((m = TYPE.matcher(line)).matches()) {
        type = switch (m.group(1)) {
          case "REL" -> 1;
          case "EXEC" -> 2;
          case "DYN" -> 3;
          default -> 4;
        };
      } else if ((m = MACHINE.matcher(line)).matches()) {
        machineName = m.group(1);
        machine = MACHINES.get(machineName);
      } else if ((m = INTERP.matcher(line)).matches()) {
        interp = Optional.of(m.group(1));
      } else if (DYNAMIC_PHDR.matcher(line).matches()) {
        dynamic = true;
      } else if ((m = ENTRY.matcher(line)).matches()) {
        switch (m.group(1)) {
          case "NEEDED" -> needed.add(m.group(2));
          case "SONAME" -> soname = Optional.of(m.group(2));
          case "RPATH" -> rpath = Optional.of(m.group(2));
          default -> runpath = Optional.of(m.group(2));
        }
      } else if ((m = FLAGS_1.matcher(line)).matches()) {
        nodeflib = List.of(m.group(1).split("\\s+")).contains("NODEFLIB");
      }
    }
    if (elfClass == null || order == null || type < 0 || machine == null) {
      throw new IllegalStateException("readelf output for " + file + " lacks class/data/type or"
          + " has an unmapped machine (" + machineName + "):\n" + String.join("\n", lines));
    }
    return new ElfFile(elfClass, order, machine, type, interp, needed, soname, rpath, runpath,
        nodeflib, dynamic);
  }

  private static String run(List<String> command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
    builder.environment().put("LC_ALL", "C");
    builder.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    byte[] out = process.getInputStream().readAllBytes();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("readelf timed out: " + command);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
