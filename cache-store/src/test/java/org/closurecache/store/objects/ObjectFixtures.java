package org.closurecache.store.objects;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestingInputStream;
import org.closurecache.store.fs.AtomicPublish;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.TestIndexes;

/**
 * A store root for the engine's tests, laid out as both sides lay theirs: {@code index/}, {@code
 * objects/}, {@code tmp/}, {@code quarantine/}. Closes its database.
 */
final class ObjectFixtures implements AutoCloseable {
  final Path root;
  final ObjectLayout layout;
  IndexDatabase db;
  ObjectTable table;

  private ObjectFixtures(Path root) throws IOException {
    this.root = root;
    this.layout = ObjectLayout.at(root.resolve("objects"));
    Files.createDirectories(layout.dir());
    Files.createDirectories(tmp());
    reopen();
  }

  static ObjectFixtures open(Path root) throws IOException {
    return new ObjectFixtures(root);
  }

  /** Closes and opens the database again, and loads the table from it. */
  void reopen() throws IOException {
    if (db != null) {
      db.close();
    }
    db = IndexDatabase.open(root.resolve("index"), TestIndexes.OBJECTS);
    table = ObjectTable.load(db, layout);
  }

  Path tmp() {
    return root.resolve("tmp");
  }

  Path quarantine() {
    return root.resolve("quarantine");
  }

  /** Publishes {@code bytes} as an object file (0444) and answers its digest; no index entry. */
  Digest writeFile(byte[] bytes) throws IOException {
    Digest d = Digest.of(bytes);
    AtomicPublish.write(layout.path(d), tmp(), false, bytes);
    return d;
  }

  Digest writeFile(String content) throws IOException {
    return writeFile(content.getBytes(StandardCharsets.UTF_8));
  }

  static Digest digest(String content) {
    return Digest.of(content.getBytes(StandardCharsets.UTF_8));
  }

  static List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return new ArrayList<>(s.filter(p -> !Files.isDirectory(p)).sorted().toList());
    }
  }

  static Digest hashOf(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return DigestingInputStream.hash(in).digest();
    }
  }

  @Override
  public void close() {
    db.close();
  }
}
