package org.closurecache.core.capture;

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
