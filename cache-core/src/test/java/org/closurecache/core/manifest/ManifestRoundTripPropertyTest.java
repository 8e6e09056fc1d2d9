package org.closurecache.core.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Comparator;
import java.util.HashMap;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.closurecache.core.digest.Digest;

class ManifestRoundTripPropertyTest {

  @Provide
  Arbitrary<Manifest> manifests() {
    return ManifestArbitraries.manifests();
  }

  @Property(tries = 250)
  void parse_ofCanonicalBytes_givesBackAnEqualManifest_andTheSameBytes(@ForAll("manifests") Manifest m)
      throws ManifestFormatException {
    byte[] bytes = ManifestCodec.toCanonicalBytes(m);
    Manifest back = ManifestCodec.parse(bytes);
    assertEquals(m, back);
    assertArrayEquals(bytes, ManifestCodec.toCanonicalBytes(back));
    assertEquals(m.hashCode(), back.hashCode());
    Statistics.label("symlinks").collect(Math.min(m.symlinks().size(), 4));
    Statistics.label("directories").collect(Math.min(m.directories().size(), 4));
    Statistics.label("libraries").collect(Math.min(m.libraries().size(), 4));
    Statistics.label("entry via symlink").collect(!m.files().containsKey(m.entry().path()));
  }

  @Property(tries = 100)
  void manifestWithoutDirectories_isWrittenWithoutTheField(@ForAll("manifests") Manifest m) {
    Manifest bare = new Manifest(m.schema(), m.platform(), m.resolver(), m.entry(), m.interpreter(),
        m.libraries(), m.files(), m.symlinks(), m.launch());
    String text = new String(ManifestCodec.toCanonicalBytes(bare), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(-1, text.indexOf("\"directories\""), text);
    assertEquals(m.directories().isEmpty(), ManifestCodec.digest(m).equals(ManifestCodec.digest(bare)));
  }

  @Property(tries = 100)
  void digest_isTheSha256OfTheCanonicalBytes_andStable(@ForAll("manifests") Manifest m)
      throws ManifestFormatException {
    Digest d = ManifestCodec.digest(m);
    assertEquals(Digest.of(ManifestCodec.toCanonicalBytes(m)), d);
    assertEquals(d, ManifestCodec.digest(m));
    assertEquals(d, ManifestCodec.digest(ManifestCodec.parse(ManifestCodec.toCanonicalBytes(m))));
  }

  @Property(tries = 100)
  void digest_doesNotDependOnHowTheMapsWereOrdered(@ForAll("manifests") Manifest m) {
    TreeMap<String, FileEntry> files = new TreeMap<>(Comparator.reverseOrder());
    files.putAll(new HashMap<>(m.files()));
    TreeMap<String, String> links = new TreeMap<>(Comparator.reverseOrder());
    links.putAll(m.symlinks());
    TreeSet<String> dirs = new TreeSet<>(Comparator.reverseOrder());
    dirs.addAll(m.directories());
    TreeMap<String, String> env = new TreeMap<>(Comparator.reverseOrder());
    env.putAll(m.launch().env());
    Manifest again = new Manifest(m.schema(), m.platform(), m.resolver(), m.entry(), m.interpreter(),
        m.libraries(), files, links, dirs, new Launch(m.launch().argv(), env, m.launch().cwd()));
    assertEquals(m, again);
    assertArrayEquals(ManifestCodec.toCanonicalBytes(m), ManifestCodec.toCanonicalBytes(again));
  }
}
