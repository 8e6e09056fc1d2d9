package org.closurecache.client.view;

import java.util.List;

/**
 * What one {@link ViewSweeper} sweep removed ({@code removed} entries, {@code bytes} freed), and
 * what it could not remove, one line each.
 */
public record SweepResult(int removed, long bytes, List<String> problems) {
  public SweepResult {
    problems = List.copyOf(problems);
  }
}
