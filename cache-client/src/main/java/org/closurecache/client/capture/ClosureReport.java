package org.closurecache.client.capture;

import java.io.PrintWriter;
import org.closurecache.client.progress.Progress;
import org.closurecache.core.capture.ClosureCapture;
import org.closurecache.core.manifest.FileEntry;
import org.closurecache.core.manifest.Manifest;
import org.closurecache.core.manifest.ManifestCodec;

/**
 * Writes a captured closure for people: one row per file in load order (entry, interpreter,
 * libraries as the loader finds them), then what includes and the recording run added, each with
 * its reason, size and digest. Thread-safe (no state).
 */
public final class ClosureReport {
  private ClosureReport() {}

  public static void print(ClosureCapture.Capture capture, boolean fullDigests, PrintWriter out) {
    Manifest m = capture.manifest();
    out.printf("closure of %s  [%s, %s]%n", m.entry().path(), m.platform(), m.resolver());
    out.printf("%4s  %-11s %10s  %-" + (fullDigests ? 71 : 20) + "s  %s%n", "#", "reason", "size", "digest", "path");
    long total = 0;
    int row = 0;
    for (String path : capture.displayOrder()) {
      FileEntry f = m.files().get(path);
      total += f.size();
      String digest = f.digest().toString();
      String shown = capture.shownAs().getOrDefault(path, path);
      if (!shown.endsWith(path) && !shown.equals(path)) {
        shown = shown + "  (" + path + ")";
      }
      out.printf("%4d  %-11s %10s  %s  %s%s%n", ++row, f.reason().wire(), Progress.human(f.size()),
          fullDigests ? digest : digest.substring(0, 19) + "…", shown,
          f.by().map(b -> "  [needed by " + b + "]").orElse(""));
    }
    out.printf("%d files, %s, %d symlinks%s; manifest %s%n", m.files().size(), Progress.human(total),
        m.symlinks().size(), directories(m.directories().size()),
        ManifestCodec.digest(m));
    out.flush();
  }

  private static String directories(int n) {
    return n == 0 ? "" : n == 1 ? ", 1 directory" : ", " + n + " directories";
  }
}
