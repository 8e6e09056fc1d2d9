package org.closurecache.core.capture;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The recording run's own process executed a program (the entry, its {@code #!} interpreter
 * chain, what it {@code exec}ed into) that the trace leaves out because it lies under an excluded
 * prefix: published like that, the job would die on a node with "No such file". Says which
 * {@code --trace-include} keeps it. Carries the capture's warnings so a caller can still show them.
 */
public final class ExcludedProgramException extends IOException {
  private final List<DroppedProgram> dropped;
  private final List<String> warnings;

  public ExcludedProgramException(List<DroppedProgram> dropped, List<String> warnings) {
    super(message(dropped));
    this.dropped = List.copyOf(dropped);
    this.warnings = List.copyOf(warnings);
  }

  /** The programs of the entry's own process that were left out, in the order it ran them. */
  public List<DroppedProgram> dropped() {
    return dropped;
  }

  /** Everything else the capture noticed before it gave up. */
  public List<String> warnings() {
    return warnings;
  }

  private static String message(List<DroppedProgram> dropped) {
    if (dropped.isEmpty()) {
      throw new IllegalArgumentException("no dropped program to report");
    }
    Set<String> keep = new LinkedHashSet<>();
    dropped.forEach(d -> keep.add("--trace-include " + d.keptBy()));
    return "the program's own process runs " + dropped.stream().map(DroppedProgram::describe)
        .collect(Collectors.joining("; ")) + "; the trace leaves " + (dropped.size() == 1 ? "it" : "them")
        + " out, so the job could not start on a node: keep " + (dropped.size() == 1 ? "it" : "them")
        + " with " + String.join(" ", keep) + " (or capture the program it runs in the end)";
  }
}
