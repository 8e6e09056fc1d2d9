package org.closurecache.core.config;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Spares every JVM that opens RocksDB a child process. To pick its native library, rocksdbjni
 * asks whether the C library is musl by running {@code sh -c 'ldd /usr/bin/env | grep -q musl'}
 * (about 70 ms here, on every node command), unless the environment variable
 * {@code ROCKSDB_MUSL_LIBC} says so; setting that variable would leak into the environments
 * closures record. So the answer is given here instead, from whether musl's dynamic loader exists,
 * through the library's own cache field. Reflection on a class of the class path, looked up by
 * name (cache-core does not depend on RocksDB); if the field is not there, the library asks as
 * before. Thread-safe; call before {@code RocksDB.loadLibrary()}.
 */
public final class NativeLibc {
  private NativeLibc() {}

  public static void presetForRocksDb() {
    try {
      Class<?> environment = Class.forName("org.rocksdb.util.Environment");
      Field cached = environment.getDeclaredField("MUSL_LIBC");
      cached.setAccessible(true);
      synchronized (NativeLibc.class) {
        if (cached.get(null) == null) {
          cached.set(null, isMusl());
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      // another rocksdbjni version: it probes for itself
    }
  }

  /** musl's loader is {@code /lib/ld-musl-<arch>.so.1}; glibc has none of that name. */
  static boolean isMusl() {
    String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
    return Files.exists(Path.of("/lib/ld-musl-" + arch + ".so.1"));
  }
}
