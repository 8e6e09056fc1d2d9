package org.closurecache.client.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.closurecache.client.cache.CacheCodec.TagEntry;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.AtomicPublish;
import org.closurecache.store.fs.Directories;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.fs.Quarantine;
import org.closurecache.store.index.CorruptEntryException;
import org.closurecache.store.index.Keys;
import org.closurecache.store.objects.ObjectLayout;
import org.closurecache.store.records.FormatFile;
import org.closurecache.store.records.ManifestFiles;

/**
 * The files the node's index is derived from besides the objects: stored manifests ({@code
 * manifests/ab/<hex>}, the signed envelope as received), pins ({@code pins/<hex>}, empty) and
 * accepted tags ({@code tags/<sha256 of name>}: 2-byte name length, the UTF-8 name, then the
 * index's tag value: revision, manifest digest, signed record). Each is written with {@link
 * AtomicPublish} before the index learns of it and removed before the index forgets it, so after
 * any crash the files are the truth and the index can be rebuilt from them ({@link
 * RecordReconciler}).
 *
 * <p>Files that do not decode are never deleted: {@link #quarantine} moves them aside. Thread-safe
 * (stateless over the file system); the callers serialize writes of one name.
 */
final class RecordFiles {
  private final CacheLayout layout;
  private final ManifestFiles manifests;

  RecordFiles(CacheLayout layout) {
    this.layout = layout;
    this.manifests = new ManifestFiles(layout.manifestsDir(), layout.tmpDir(), quarantine(layout));
  }

  boolean formatCurrent() throws IOException {
    return FormatFile.isCurrent(layout.formatFile());
  }

  void markFormatCurrent() throws IOException {
    FormatFile.markCurrent(layout.formatFile(), layout.tmpDir());
  }

  /** The stored manifests' files ({@code manifests/ab/<hex>}). */
  ManifestFiles manifests() {
    return manifests;
  }

  void pin(Digest d) throws IOException {
    AtomicPublish.write(layout.pinPath(d), layout.tmpDir(), true, new byte[0]);
  }

  void unpin(Digest d) throws IOException {
    deleteAndSync(layout.pinPath(d));
  }

  /** The pinned manifests; anything else under {@code pins/} is quarantined. */
  Set<Digest> pins() throws IOException {
    Set<Digest> out = new TreeSet<>();
    Quarantine q = quarantine(layout);
    for (Path f : Directories.list(layout.pinsDir())) {
      String name = f.getFileName().toString();
      if (ObjectLayout.HEX.matcher(name).matches() && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
        out.add(Digest.ofHex(name));
      } else {
        q.move(f);
      }
    }
    return out;
  }

  void writeTag(String name, TagEntry entry) throws IOException {
    byte[] utf8 = Keys.tag(name);
    byte[] value = CacheCodec.encode(entry);
    byte[] content = ByteBuffer.allocate(2 + utf8.length + value.length)
        .putShort((short) utf8.length).put(utf8).put(value).array();
    AtomicPublish.write(layout.tagPath(name), layout.tmpDir(), true, content);
  }

  /** The tag files by name; a file that does not decode, or is not where its name says, is quarantined. */
  Map<String, TagEntry> tags() throws IOException {
    Map<String, TagEntry> out = new TreeMap<>();
    Quarantine q = quarantine(layout);
    for (Path f : Directories.list(layout.tagsDir())) {
      try {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > 1 << 20) {
          throw new CorruptEntryException("not a tag file");
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f));
        int length = Short.toUnsignedInt(b.getShort());
        if (length < 1 || length > Keys.MAX_TAG_NAME_BYTES || b.remaining() < length) {
          throw new CorruptEntryException("bad name length " + length);
        }
        byte[] utf8 = new byte[length];
        b.get(utf8);
        String name = new String(utf8, StandardCharsets.UTF_8);
        if (!layout.tagPath(name).equals(f)) {
          throw new CorruptEntryException("holds tag " + name + ", which belongs elsewhere");
        }
        byte[] value = new byte[b.remaining()];
        b.get(value);
        out.put(name, CacheCodec.decodeTag(value));
      } catch (CorruptEntryException | java.nio.BufferUnderflowException | IllegalArgumentException e) {
        q.move(f);
      }
    }
    return out;
  }

  /** Moves a record file that failed a check aside. */
  void quarantine(Path file) throws IOException {
    quarantine(layout).move(file);
  }

  /** Moves files from under the root to the same relative path under {@code quarantine/}. */
  private static Quarantine quarantine(CacheLayout layout) {
    return new Quarantine(layout.root(), layout.quarantineDir());
  }

  private static void deleteAndSync(Path file) throws IOException {
    if (Files.deleteIfExists(file)) {
      Durability.fsyncDirectory(file.getParent());
    }
  }
}
