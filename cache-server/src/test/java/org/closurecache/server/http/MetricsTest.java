package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.closurecache.core.digest.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics after a known sequence of requests: exact counters, valid Prometheus text. */
class MetricsTest {
  /** {@code name{labels} value}, or {@code name value}; label values quoted. */
  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*\\})?"
          + " (-?[0-9.eE+-]+|NaN|[+-]Inf)");

  @TempDir Path dir;
  ServerFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new ServerFixture(dir, Map.of());
  }

  @AfterEach
  void stop() {
    f.close();
  }

  /** The value of the sample {@code series} (name and labels exactly as written), 0 when absent. */
  static double value(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).strip());
      }
    }
    return 0;
  }

  @Test
  void afterAMismatchA401AndAGet_countersAreExactAndTheTextParses() throws Exception {
    byte[] data = "metrics object".getBytes();
    Digest digest = Digest.of(data);
    Path file = dir.resolve("obj");
    Files.write(file, data);
    String auth = "Authorization: Bearer " + ServerFixture.WRITE_TOKEN;
    Digest wrong = Digest.of(new byte[] {4});
    assertEquals(400, f.curl("-X", "PUT", "-H", auth, "--data-binary", "@" + file, f.url + "/v1/objects/" + wrong).status());
    assertEquals(401, f.curl("-X", "PUT", "--data-binary", "@" + file, f.url + "/v1/objects/" + digest).status());
    assertEquals(201, f.curl("-X", "PUT", "-H", auth, "--data-binary", "@" + file, f.url + "/v1/objects/" + digest).status());
    assertEquals(200, f.curl(f.url + "/v1/objects/" + digest).status());

    ServerFixture.Curl scrape = f.curl(f.url + "/metrics");
    assertEquals(200, scrape.status());
    assertTrue(scrape.headers().toLowerCase().contains("content-type: text/plain"), scrape.headers());
    String m = scrape.text();
    assertTrue(m.contains("closure_cache_uploads_rejected_total{reason=\"digest-mismatch\"} 1.0"), m);
    assertEquals(1.0, value(m, "closure_cache_uploads_rejected_total{reason=\"unauthorized\"}"), m);
    assertEquals(1.0, value(m, "closure_cache_http_requests_total{method=\"PUT\",route=\"objects\",status=\"400\"}"), m);
    assertEquals(1.0, value(m, "closure_cache_http_requests_total{method=\"PUT\",route=\"objects\",status=\"401\"}"), m);
    assertEquals(1.0, value(m, "closure_cache_http_requests_total{method=\"PUT\",route=\"objects\",status=\"201\"}"), m);
    assertEquals(1.0, value(m, "closure_cache_http_requests_total{method=\"GET\",route=\"objects\",status=\"200\"}"), m);
    assertEquals((double) data.length, value(m, "closure_cache_object_bytes_served_total"), m);
    assertEquals(1.0, value(m, "closure_cache_objects_stored"), m);

    int samples = 0;
    for (String line : m.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        assertTrue(line.matches("# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*"), "comment line: " + line);
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      assertTrue(sample.matches(), "not a Prometheus sample: " + line);
      samples++;
    }
    assertTrue(samples >= 8, m);
  }
}
