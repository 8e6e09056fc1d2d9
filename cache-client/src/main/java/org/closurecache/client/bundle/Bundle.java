package org.closurecache.client.bundle;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The bundle format for air-gapped nodes, version 1: a POSIX tar archive (optionally gzipped)
 * of regular files only, in this order:
 *
 * <pre>
 *   closure-cache-bundle          "closure-cache bundle v1\n"
 *   manifests/&lt;64 hex&gt;.json     a signed manifest envelope, exactly as the master stores it
 *   tags/&lt;name&gt;.json             optional: a signed tag pointing at that manifest
 *   objects/&lt;64 hex&gt;            every object the manifest names, named by its SHA-256
 * </pre>
 *
 * Entry names are only ever matched against these patterns, never used as paths, so a hostile
 * name cannot write anywhere. {@code tar tvf} lists a bundle; nothing else is needed to read it.
 */
final class Bundle {
  static final String MARKER = "closure-cache-bundle";
  static final byte[] MARKER_CONTENT = "closure-cache bundle v1\n".getBytes(StandardCharsets.US_ASCII);
  static final Pattern MANIFEST = Pattern.compile("manifests/([0-9a-f]{64})\\.json");
  static final Pattern TAG = Pattern.compile("tags/([A-Za-z0-9][A-Za-z0-9._-]{0,127})\\.json");
  static final Pattern OBJECT = Pattern.compile("objects/([0-9a-f]{64})");

  private Bundle() {}
}
