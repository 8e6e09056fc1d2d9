package org.closurecache.client.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a person sees while objects move: throttled lines, an in-place bar, units. */
class ProgressTest {
  private final StringWriter text = new StringWriter();
  private final PrintWriter out = new PrintWriter(text);

  /** Calls advance(1, bytes) as fast as possible for {@code millis}; answers how many calls. */
  private static long hammer(Progress p, long millis, long bytes) {
    long calls = 0;
    long end = System.nanoTime() + millis * 1_000_000L;
    while (System.nanoTime() < end) {
      p.advance(1, bytes);
      calls++;
    }
    return calls;
  }

  @Test
  void plain_printsAtOnce_thenNotAgainWithinTheInterval_thenATotalLine() {
    Progress p = new Progress(out, false, "pulling");
    p.total(1_000_000_000L, 10L << 30);
    long calls = hammer(p, 400, 1);
    assertTrue(calls > 1000, "advanced " + calls + " times");
    List<String> lines = text.toString().lines().toList();
    // the interval is 5 s: in 0.4 s of constant progress, only the first advance prints
    assertEquals(1, lines.size(), text::toString);
    assertTrue(lines.get(0).startsWith("pulling 1/1000000000 objects, 1 B/10.0 GiB, "), lines.get(0));
    assertTrue(lines.get(0).contains("/s, ETA "), lines.get(0));
    assertFalse(text.toString().contains("\r"), "no carriage returns in logs");
    p.finish();
    List<String> after = text.toString().lines().toList();
    assertEquals(2, after.size(), text::toString);
    String last = after.get(1);
    assertTrue(last.startsWith("pulling " + calls + "/1000000000 objects, " + Progress.human(calls) + "/10.0 GiB, "),
        last);
    assertFalse(last.contains("ETA"), "the final line has no ETA: " + last);
    assertTrue(text.toString().endsWith("\n"));
  }

  @Test
  void plain_finalLineCarriesTheTotals() {
    Progress p = new Progress(out, false, "uploading");
    p.total(3, 3 * 2048);
    for (int i = 0; i < 3; i++) {
      p.advance(1, 2048);
    }
    p.finish();
    List<String> lines = text.toString().lines().toList();
    assertTrue(lines.get(lines.size() - 1).startsWith("uploading 3/3 objects, 6.0 KiB/6.0 KiB, "), text::toString);
  }

  @Test
  void tty_redrawsOneLineInPlace_atMostEveryTenthOfASecond_andEndsWithANewline() {
    Progress p = new Progress(out, true, "pulling");
    p.total(1_000_000_000L, 1L << 40);
    long start = System.nanoTime();
    hammer(p, 450, 1 << 20);
    double elapsedTenths = (System.nanoTime() - start) / 1e8;
    String drawn = text.toString();
    long redraws = drawn.chars().filter(c -> c == '\r').count();
    assertTrue(redraws >= 2 && redraws <= (long) elapsedTenths + 1,
        redraws + " redraws in " + elapsedTenths / 10 + " s");
    assertFalse(drawn.contains("\n"), "no newline while in progress");
    assertTrue(drawn.startsWith("\r["), drawn);
    assertTrue(drawn.contains("\033[K"), "each redraw clears the rest of the line");
    p.finish();
    String all = text.toString();
    assertTrue(all.endsWith("\n"), "the last redraw ends the line");
    assertEquals(1, all.chars().filter(c -> c == '\n').count());
    String last = all.substring(all.lastIndexOf('\r'));
    assertTrue(last.startsWith("\r[") && last.contains("] pulling "), last);
  }

  @Test
  void tty_barIsFullWhenAllBytesAreDone() {
    Progress p = new Progress(out, true, "x");
    p.total(2, 200);
    p.advance(1, 100);
    assertTrue(text.toString().startsWith("\r[" + "#".repeat(15) + " ".repeat(15) + "] x 1/2 objects"), text::toString);
    p.advance(1, 100);
    p.finish();
    assertTrue(text.toString().contains("\r[" + "#".repeat(30) + "] x 2/2 objects, 200 B/200 B"), text::toString);
  }

  @Test
  void nothingToDo_printsNoFinalLine() {
    Progress p = new Progress(out, false, "pulling");
    p.total(0, 0);
    p.finish();
    assertEquals("", text.toString());
  }

  @Test
  void silent_printsNothing_andCountsWithoutFailing() {
    Progress p = Progress.silent();
    p.total(10, 1000);
    for (int i = 0; i < 10; i++) {
      p.advance(1, 100);
    }
    p.finish();
    assertEquals("", text.toString());
  }

  @Test
  void human_units() {
    assertEquals("0 B", Progress.human(0));
    assertEquals("1023 B", Progress.human(1023));
    assertEquals("1.0 KiB", Progress.human(1024));
    assertEquals("1.5 KiB", Progress.human(1536));
    assertEquals("1.0 MiB", Progress.human(1L << 20));
    assertEquals("2.5 MiB", Progress.human(5L << 19));
    assertEquals("1.0 GiB", Progress.human(1L << 30));
    assertEquals("1.0 TiB", Progress.human(1L << 40));
    assertEquals("1024.0 TiB", Progress.human(1L << 50), "TiB is the largest unit");
  }
}
