package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.Field;
import org.closurecache.core.config.NativeLibc;
import org.junit.jupiter.api.Test;

/** RocksDB's musl question is answered before it would run {@code sh -c 'ldd ...'} itself. */
class NativeLibcTest {
  @Test
  void presetForRocksDb_answersRocksDbsLibcQuestion_withoutAChildProcess() throws Exception {
    Field cached = org.rocksdb.util.Environment.class.getDeclaredField("MUSL_LIBC");
    cached.setAccessible(true);
    Object before = cached.get(null);
    try {
      cached.set(null, null);
      NativeLibc.presetForRocksDb();
      assertEquals(Boolean.FALSE, cached.get(null), "a glibc machine: preset, so isMuslLibc() runs nothing");
      assertFalse(org.rocksdb.util.Environment.isMuslLibc());
    } finally {
      cached.set(null, before);
    }
  }
}
