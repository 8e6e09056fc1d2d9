package org.closurecache.server.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.closurecache.core.json.CanonicalJson;
import org.closurecache.core.sign.SignedTag;
import org.closurecache.core.sign.TagRecord;
import org.closurecache.store.fs.AtomicPublish;
import org.closurecache.store.fs.Directories;
import org.closurecache.store.fs.Quarantine;
import org.closurecache.store.objects.ObjectLayout;
import org.closurecache.store.records.FormatFile;
import org.closurecache.store.records.ManifestFiles;

/**
 * The files a master's index is derived from besides the objects ({@link StoreLayout}): every
 * stored manifest envelope and every signed record of every tag. Each is written with {@link
 * AtomicPublish} (synced) before the index learns of it; nothing here is ever rewritten, since a
 * manifest is named by its digest and a tag revision is never reused. Stateless and thread-safe.
 */
final class StoreFiles {
  private static final Pattern REVISION = Pattern.compile("[0-9]{20}");

  /** One tag revision read back from its file. */
  record TagFile(Path file, TagRecord record, byte[] signed) {}

  private final StoreLayout layout;
  private final ManifestFiles manifests;

  StoreFiles(StoreLayout layout) {
    this.layout = layout;
    this.manifests = new ManifestFiles(layout.manifestsDir(), layout.tmpDir(),
        new Quarantine(layout.root(), layout.quarantineDir()));
  }

  boolean formatCurrent() throws IOException {
    return FormatFile.isCurrent(layout.formatFile());
  }

  void markFormatCurrent() throws IOException {
    FormatFile.markCurrent(layout.formatFile(), layout.tmpDir());
  }

  void writeTag(String name, long revision, byte[] signed) throws IOException {
    AtomicPublish.write(layout.tagPath(name, revision), layout.tmpDir(), false, signed);
  }

  /** The stored manifests' files ({@code manifests/ab/<hex>}). */
  ManifestFiles manifests() {
    return manifests;
  }

  /**
   * Every tag revision file by tag name, then revision. A file that is not a signed tag record of
   * the tag and revision its path names is quarantined. Signatures are not checked here.
   */
  Map<String, TreeMap<Long, TagFile>> tagFiles() throws IOException {
    Map<String, TreeMap<Long, TagFile>> out = new TreeMap<>();
    Quarantine q = quarantine();
    for (Path tagDir : Directories.list(layout.tagsDir())) {
      if (!ObjectLayout.HEX.matcher(tagDir.getFileName().toString()).matches()
          || !Files.isDirectory(tagDir, LinkOption.NOFOLLOW_LINKS)) {
        q.move(tagDir);
        continue;
      }
      for (Path f : Directories.list(tagDir)) {
        String name = f.getFileName().toString();
        Optional<TagFile> t = REVISION.matcher(name).matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
            ? readTag(f) : Optional.empty();
        if (t.isEmpty() || !layout.tagPath(t.get().record().name(), t.get().record().revision()).equals(f)) {
          q.move(f);
          continue;
        }
        out.computeIfAbsent(t.get().record().name(), k -> new TreeMap<>()).put(t.get().record().revision(), t.get());
      }
    }
    return out;
  }

  private static Optional<TagFile> readTag(Path f) {
    try {
      if (Files.size(f) > SignedTag.MAX_BYTES) {
        return Optional.empty();
      }
      byte[] bytes = Files.readAllBytes(f);
      SignedTag signed = SignedTag.parse(bytes);
      TagRecord r = TagRecord.fromJson(CanonicalJson.parse(signed.tagBytes(), SignedTag.MAX_BYTES, "tag"));
      return Optional.of(new TagFile(f, r, bytes));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Moves a file that failed a check aside, to the same relative path under {@code quarantine/}. */
  Path quarantine(Path file) throws IOException {
    return quarantine().move(file);
  }

  private Quarantine quarantine() {
    return new Quarantine(layout.root(), layout.quarantineDir());
  }
}
