package org.closurecache.core.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed and hostile inputs: only LdSoCacheFormatException, never anything else. */
class LdSoCacheHostileInputTest {

    private static final int F = LdSoCache.FLAGS_X86_64_LIBC6;

    /** Writes new-format caches the way ldconfig 2.36 lays them out (little-endian). */
    static final class CacheBuilder {
        record E(String name, String path, int flags, long hwcap) {}

        final List<E> entries = new ArrayList<>();
        final List<String> hwcaps = new ArrayList<>();
        String generator = "test generator";

        CacheBuilder add(String name, String path) {
            return add(name, path, F, 0);
        }

        CacheBuilder add(String name, String path, int flags, long hwcap) {
            entries.add(new E(name, path, flags, hwcap));
            return this;
        }

        CacheBuilder addHwcaps(String name, String path, int hwcapsIndex) {
            return add(name, path, F, LdSoCache.DL_CACHE_HWCAP_EXTENSION | hwcapsIndex);
        }

        CacheBuilder hwcaps(String... names) {
            hwcaps.addAll(List.of(names));
            return this;
        }

        byte[] build() {
            int stringsStart = 48 + 24 * entries.size();
            ByteBuffer strings = ByteBuffer.allocate(1 << 16);
            List<int[]> kv = new ArrayList<>();
            for (E e : entries) {
                kv.add(new int[] {stringsStart + put(strings, e.name()),
                        stringsStart + put(strings, e.path())});
            }
            List<Integer> hw = new ArrayList<>();
            for (String h : hwcaps) {
                hw.add(stringsStart + put(strings, h));
            }
            int stringsLen = strings.position();
            int extOffset = (stringsStart + stringsLen + 3) & ~3;
            byte[] gen = generator.getBytes(StandardCharsets.UTF_8);
            int sections = hwcaps.isEmpty() ? 1 : 2;
            int hwOffset = extOffset + 8 + 16 * sections;
            int genOffset = hwOffset + 4 * hwcaps.size();
            ByteBuffer out = ByteBuffer.allocate(genOffset + gen.length)
                    .order(ByteOrder.LITTLE_ENDIAN);
            out.put("glibc-ld.so.cache1.1".getBytes(StandardCharsets.US_ASCII));
            out.putInt(entries.size()).putInt(stringsLen).put((byte) 2).put(new byte[3]);
            out.putInt(extOffset).put(new byte[12]);
            for (int i = 0; i < entries.size(); i++) {
                E e = entries.get(i);
                out.putInt(e.flags()).putInt(kv.get(i)[0]).putInt(kv.get(i)[1]).putInt(0)
                        .putLong(e.hwcap());
            }
            out.put(strings.array(), 0, stringsLen);
            out.position(extOffset);
            out.putInt(LdSoCache.EXTENSION_MAGIC).putInt(sections);
            out.putInt(LdSoCache.TAG_GENERATOR).putInt(0).putInt(genOffset).putInt(gen.length);
            if (!hwcaps.isEmpty()) {
                out.putInt(LdSoCache.TAG_GLIBC_HWCAPS).putInt(0).putInt(hwOffset)
                        .putInt(4 * hwcaps.size());
                hw.forEach(out::putInt);
            }
            out.position(genOffset);
            out.put(gen);
            return out.array();
        }

        private static int put(ByteBuffer strings, String s) {
            int at = strings.position();
            strings.put(s.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
            return at;
        }
    }

    static void putInt(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    static LdSoCacheFormatException assertFormatError(byte[] bytes, String expectedFragment) {
        LdSoCacheFormatException e = assertThrows(LdSoCacheFormatException.class,
                () -> LdSoCache.parse(bytes, "test.cache"));
        assertTrue(e.getMessage().startsWith("test.cache: "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedFragment),
                "message '" + e.getMessage() + "' lacks '" + expectedFragment + "'");
        return e;
    }

    private static byte[] systemCacheOrBuilt() throws Exception {
        Path p = LdSoCacheOracleTest.SYSTEM_CACHE;
        if (Files.isRegularFile(p)) {
            return Files.readAllBytes(p);
        }
        return new CacheBuilder().hwcaps("x86-64-v2", "x86-64-v3")
                .addHwcaps("libz.so.1", "/v2/libz.so.1", 0).add("libz.so.1", "/libz.so.1").build();
    }

    /** Parse must either succeed (and then lookups must work) or throw the format exception. */
    private static void parseOrFormatError(byte[] bytes, String what) {
        try {
            LdSoCache cache = LdSoCache.parse(bytes, what);
            for (LdSoCache.Entry e : cache.entries()) {
                cache.lookup(e.name(), F, List.of("x86-64-v3", "x86-64-v2"));
            }
            cache.lookup("libc.so.6", F, List.of());
        } catch (LdSoCacheFormatException expected) {
            // fine
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": unexpected " + e, e);
        }
    }

    @Test
    void builder_roundTrip_parsesAsBuilt() throws Exception {
        LdSoCache cache = LdSoCache.parse(new CacheBuilder().hwcaps("x86-64-v2")
                .addHwcaps("liba.so.1", "/h/liba.so.1", 0).add("liba.so.1", "/l/liba.so.1")
                .build(), "built");
        assertEquals(List.of(
                new LdSoCache.Entry("liba.so.1", "/h/liba.so.1", F,
                        LdSoCache.DL_CACHE_HWCAP_EXTENSION, Optional.of("x86-64-v2")),
                new LdSoCache.Entry("liba.so.1", "/l/liba.so.1", F, 0, Optional.empty())),
                cache.entries());
        assertEquals(Optional.of("test generator"), cache.generator());
    }

    @Test
    void parse_badMagic_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        bytes[0] = 'X';
        assertFormatError(bytes, "bad magic");
        assertFormatError(new byte[0], "bad magic");
    }

    @Test
    void parse_hugeNlibs_throwsFormatExceptionWithoutAllocating() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        putInt(bytes, 20, 0x7fffffff);
        assertFormatError(bytes, "nlibs 2147483647");
        putInt(bytes, 20, -1);
        assertFormatError(bytes, "nlibs 4294967295");
    }

    @Test
    void parse_oldFormatHugeNlibs_throwsFormatException() {
        byte[] bytes = new byte[64];
        System.arraycopy("ld.so-1.7.0".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 11);
        putInt(bytes, 12, 0x7fffffff);
        assertFormatError(bytes, "old-format nlibs 2147483647");
    }

    @Test
    void parse_stringOffsetPastEof_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        putInt(bytes, 48 + 8, 0x7ffffff0); // value of entry 0
        assertFormatError(bytes, "entry 0 value: string offset 2147483632");
    }

    @Test
    void parse_stringWithoutNul_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        putInt(bytes, 48 + 8, bytes.length - 3); // points into the unterminated generator
        assertFormatError(bytes, "no terminating NUL");
    }

    @Test
    void parse_truncatedHeader_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        assertFormatError(java.util.Arrays.copyOf(bytes, 30), "truncated new-format header");
    }

    @Test
    void parse_extensionOffsetPastEof_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        putInt(bytes, 32, 0x7ffffff0);
        assertFormatError(bytes, "extension directory at offset 2147483632");
        putInt(bytes, 32, 6);
        assertFormatError(bytes, "not a multiple of 4");
    }

    @Test
    void parse_hugeExtensionCount_throwsFormatException() {
        CacheBuilder b = new CacheBuilder().add("liba.so.1", "/liba.so.1");
        byte[] bytes = b.build();
        int ext = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(32);
        putInt(bytes, ext + 4, -1);
        assertFormatError(bytes, "extension count 4294967295");
    }

    @Test
    void parse_extensionSectionPastEof_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        int ext = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(32);
        putInt(bytes, ext + 8 + 12, 0x7fffffff); // generator size
        assertFormatError(bytes, "extension section 0 (tag 0)");
    }

    @Test
    void parse_badExtensionMagic_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        int ext = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(32);
        putInt(bytes, ext, 0x12345678);
        assertFormatError(bytes, "bad extension magic 0x12345678");
    }

    @Test
    void parse_hwcapsIndexOutOfRange_throwsFormatException() {
        byte[] bytes = new CacheBuilder().hwcaps("x86-64-v2")
                .addHwcaps("liba.so.1", "/h/liba.so.1", 5).build();
        assertFormatError(bytes, "subdirectory index 5 but the cache lists 1");
    }

    @Test
    void parse_bigEndianFlag_throwsFormatException() {
        byte[] bytes = new CacheBuilder().add("liba.so.1", "/liba.so.1").build();
        bytes[28] = 3;
        assertFormatError(bytes, "byte order flag 3");
        bytes[28] = 1;
        assertFormatError(bytes, "byte order flag 1");
        bytes[28] = 0; // "unset" is accepted, as glibc does
        assertEquals(1, assertDoesParse(bytes).entries().size());
    }

    private static LdSoCache assertDoesParse(byte[] bytes) {
        try {
            return LdSoCache.parse(bytes, "test.cache");
        } catch (LdSoCacheFormatException e) {
            return fail(e);
        }
    }

    @Test
    void read_missingFile_throwsNoSuchFileException(@TempDir Path dir) {
        assertThrows(NoSuchFileException.class, () -> LdSoCache.read(dir.resolve("nope")));
    }

    @Test
    void read_fileLargerThanCap_throwsFormatException(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("big.cache");
        try (var ch = java.nio.channels.FileChannel.open(big,
                java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0}), LdSoCache.MAX_FILE_SIZE); // sparse
        }
        LdSoCacheFormatException e =
                assertThrows(LdSoCacheFormatException.class, () -> LdSoCache.read(big));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
    }

    @Test
    void parse_everyTruncationOfRealCache_onlyFormatExceptionsOrSuccess() throws Exception {
        byte[] full = systemCacheOrBuilt();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            int header = Math.min(full.length, 4096);
            for (int len = 0; len <= header; len++) {
                parseOrFormatError(java.util.Arrays.copyOf(full, len), "truncated to " + len);
            }
            Random random = new Random(42);
            for (int i = 0; i < 300; i++) {
                int len = random.nextInt(full.length + 1);
                parseOrFormatError(java.util.Arrays.copyOf(full, len), "truncated to " + len);
            }
        });
        // A truncated real cache loses its trailing extension directory: never silently accepted.
        assertThrows(LdSoCacheFormatException.class,
                () -> LdSoCache.parse(java.util.Arrays.copyOf(full, full.length - 1), "cut"));
    }

    @Test
    void parse_randomMutationsOfRealCache_onlyFormatExceptionsOrSuccess() throws Exception {
        byte[] full = systemCacheOrBuilt();
        int iterations = fuzzIterations();
        long seed = Long.getLong("closurecache.fuzz.seed", 0x1d5c_ac4eL);
        System.out.println("LdSoCache mutation fuzz: seed=" + seed + " iterations=" + iterations
                + " (rerun with -Dclosurecache.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        assertTimeoutPreemptively(Duration.ofSeconds(25), () -> {
            for (int i = 0; i < iterations; i++) {
                byte[] bytes = full.clone();
                int mutations = 1 + random.nextInt(8);
                for (int m = 0; m < mutations; m++) {
                    // Bias towards the header, the entry table and the extension directory.
                    int region = random.nextInt(3);
                    int at = region == 0 ? random.nextInt(Math.min(64, bytes.length))
                            : region == 1 ? random.nextInt(bytes.length)
                            : bytes.length - 1 - random.nextInt(Math.min(256, bytes.length));
                    bytes[at] = random.nextInt(4) == 0 ? (byte) 0xff : (byte) random.nextInt(256);
                }
                parseOrFormatError(bytes, "seed " + seed + " iteration " + i);
            }
        }, "seed " + seed);
    }

    private static int fuzzIterations() {
        String v = System.getProperty("closurecache.fuzz.iterations", "");
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException unsetOrUnresolved) {
            return 2000;
        }
    }

    @Test
    void parse_hwcapsIndexMutatedPastArray_throwsFormatException() throws Exception {
        byte[] bytes = new CacheBuilder().hwcaps("x86-64-v2", "x86-64-v3")
                .addHwcaps("libz.so.1", "/v3/libz.so.1", 1).add("libz.so.1", "/libz.so.1").build();
        assertEquals(2, LdSoCache.parse(bytes, "ok").entries().size());
        putInt(bytes, 48 + 16, 2); // low half of entry 0's hwcap
        assertFormatError(bytes, "subdirectory index 2");
    }
}
