package org.closurecache.core.capture;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestPaths;

/**
 * A program the recording run executed (or the {@code #!} interpreter of one) that its trace
 * leaves out because it lies under an excluded prefix, so a node would not have it.
 *
 * @param path the path as the process named it (or as the {@code #!} line names it)
 * @param excludedBy the excluded prefix it lies under
 * @param interpreterOf the script whose {@code #!} line names it, or null for a program executed directly
 * @param byEntryProcess whether the process the run started executed it (the program itself, its
 *     {@code #!} chain, what it {@code exec}ed into): without it the job cannot start at all
 */
public record DroppedProgram(String path, String excludedBy, String interpreterOf, boolean byEntryProcess) {
  public DroppedProgram {
    if (path == null || excludedBy == null) {
      throw new IllegalArgumentException("path and excluding prefix must not be null");
    }
    path = java.nio.file.Path.of(path).normalize().toString();  // "/a/./b" as the manifest would name it
  }

  /**
   * Adds a warning for each dropped program that {@code manifest} does not hold at that path by
   * other means (the entry itself lies under {@code /home}, say), once per path; fails when the
   * entry's own process ran one.
   */
  static void report(List<DroppedProgram> dropped, Manifest manifest, List<String> warnings)
      throws ExcludedProgramException {
    List<DroppedProgram> fatal = new ArrayList<>();
    Set<String> told = new HashSet<>();
    Set<String> fatalPaths = new HashSet<>();
    for (DroppedProgram d : dropped) {
      if (manifest.resolve(d.path()).isPresent()) {
        continue;
      }
      if (told.add(d.path())) {
        warnings.add("left out " + d.describe() + ", which the recording run executed; a node will not have it"
            + " (--trace-include " + d.keptBy() + " keeps it)");
      }
      if (d.byEntryProcess() && fatalPaths.add(d.path())) {
        fatal.add(d);
      }
    }
    if (!fatal.isEmpty()) {
      throw new ExcludedProgramException(fatal, warnings);
    }
  }

  /** The prefix a {@code --trace-include} would need to keep it: its own directory. */
  public String keptBy() {
    return ManifestPaths.parent(path);
  }

  /** One line: what was left out and why. */
  public String describe() {
    return path + (interpreterOf == null ? "" : " (the #! interpreter of " + interpreterOf + ")")
        + ", under the excluded " + excludedBy;
  }
}
