package org.closurecache.store.objects;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.store.fs.AtomicPublish;
import org.closurecache.store.fs.Durability;
import org.closurecache.store.index.IndexDatabase;
import org.closurecache.store.index.TestIndexes;

/**
 * Child process for {@link ObjectCrashTest}: on the store root {@code args[0]}, commits batches of
 * random objects the way both sides do (temp files written, one filesystem sync, renames, one sync
 * of the touched directories, then one {@link ObjectTable#put}), until killed. Some objects go
 * through {@link AtomicPublish#write} instead, some repeat an earlier object. After each put
 * returns it prints {@code ok <digest>... end}: every digest on a complete line was promised.
 */
public final class CommitLoopMain {
  private CommitLoopMain() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    Random random = new Random(Long.parseLong(args[1]));
    ObjectLayout layout = ObjectLayout.at(root.resolve("objects"));
    Path tmp = Files.createDirectories(root.resolve("tmp"));
    Files.createDirectories(layout.dir());
    List<byte[]> earlier = new ArrayList<>();
    try (IndexDatabase db = IndexDatabase.open(root.resolve("index"), TestIndexes.OBJECTS)) {
      ObjectTable table = ObjectTable.load(db, layout);
      table.takeCleanClose();
      System.out.println("open");
      System.out.flush();
      while (true) {
        int count = 1 + random.nextInt(48);
        Map<Digest, ObjectEntry> entries = new LinkedHashMap<>();
        Map<Digest, Path> temps = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
          byte[] bytes;
          if (!earlier.isEmpty() && random.nextInt(8) == 0) {
            bytes = earlier.get(random.nextInt(earlier.size())); // already stored: ALREADY_PRESENT
          } else {
            bytes = new byte[1 + random.nextInt(16 << 10)];
            random.nextBytes(bytes);
            if (earlier.size() < 256) {
              earlier.add(bytes);
            }
          }
          Digest d = Digest.of(bytes);
          entries.put(d, new ObjectEntry(bytes.length, System.currentTimeMillis()));
          if (random.nextInt(10) == 0) {
            AtomicPublish.write(layout.path(d), tmp, false, bytes); // synced on its own
          } else if (!temps.containsKey(d)) {
            Path temp = Files.createTempFile(tmp, "obj-", ".tmp");
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
              ch.write(ByteBuffer.wrap(bytes));
            }
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("r--r--r--"));
            temps.put(d, temp);
          }
        }
        Durability.syncFileSystem(tmp, temps.values());
        Set<Path> touched = new LinkedHashSet<>();
        for (Map.Entry<Digest, Path> t : temps.entrySet()) {
          AtomicPublish.move(t.getValue(), layout.path(t.getKey()), touched);
        }
        AtomicPublish.syncAll(touched);
        table.put(entries);
        StringBuilder out = new StringBuilder("ok");
        entries.keySet().forEach(d -> out.append(' ').append(d));
        System.out.println(out.append(" end"));
        System.out.flush();
      }
    } catch (IOException e) {
      e.printStackTrace();
      System.exit(3);
    }
  }
}
