package org.closurecache.core.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds real caches with glibc-hwcaps entries using the machine's ldconfig, then checks the
 * parser against {@code ldconfig -p} and the lookup against the expected ld.so choices (and,
 * where a private mount namespace is available, against the real ld.so).
 */
class LdSoCacheHwcapsTest {

    private static final Path LIBZ = Path.of("/lib/x86_64-linux-gnu/libz.so.1.2.13");
    private static final String V2 = "/lib/glibc-hwcaps/x86-64-v2/libz.so.1";
    private static final String V3 = "/lib/glibc-hwcaps/x86-64-v3/libz.so.1";
    private static final String PLAIN = "/lib/libz.so.1";
    private static final int F = LdSoCache.FLAGS_X86_64_LIBC6;

    @TempDir
    Path root;

    @BeforeEach
    void populateRoot() throws Exception {
        assertTrue(Files.isRegularFile(LIBZ), "real libz not found at " + LIBZ);
        for (String dir : List.of("lib", "lib/glibc-hwcaps/x86-64-v2", "lib/glibc-hwcaps/x86-64-v3")) {
            Files.createDirectories(root.resolve(dir));
            Files.copy(LIBZ, root.resolve(dir).resolve("libz.so.1"));
        }
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/ld.so.conf"), "/lib\n");
    }

    /**
     * Runs ldconfig chrooted ({@code -r}) into the temp root so that the host's system
     * directories (which also hold a libz.so.1) stay out of the cache; paths stored in the cache
     * are therefore root-relative ({@code /lib/...}).
     */
    private Path buildCache(String format) throws Exception {
        String name = "etc/ld.so.cache." + format;
        LdSoCacheOracleTest.run(List.of(LdSoCacheOracleTest.ldconfig().toString(), "-X",
                "-r", root.toString(), "-f", "/etc/ld.so.conf", "-C", "/" + name,
                "-c", format));
        Path cache = root.resolve(name);
        assertTrue(Files.isRegularFile(cache), "ldconfig wrote no cache");
        return cache;
    }

    @Test
    void parse_newFormatCacheWithHwcaps_matchesLdconfigPrint() throws Exception {
        Path file = buildCache("new");
        LdSoCache cache = LdSoCache.read(file);
        LdSoCacheOracleTest.assertMatchesLdconfig(cache, LdSoCacheOracleTest.ldconfigPrint(file));
        assertEquals(List.of("x86-64-v2", "x86-64-v3"), cache.hwcapsSubdirs());
        assertEquals(3, cache.entries().size());
        assertEquals(Optional.of("x86-64-v2"), cache.entries().get(0).hwcapsSubdir());
        assertEquals(Optional.of("x86-64-v3"), cache.entries().get(1).hwcapsSubdir());
        assertEquals(Optional.empty(), cache.entries().get(2).hwcapsSubdir());
        assertTrue(cache.entries().get(0).isHwcapsExtension());
        assertTrue(cache.generator().orElseThrow().startsWith("ldconfig"));
    }

    @Test
    void lookup_whenHwcapsV3Supported_prefersV3Entry() throws Exception {
        LdSoCache cache = LdSoCache.read(buildCache("new"));
        assertEquals(Optional.of(V3), cache.lookup("libz.so.1", F, List.of("x86-64-v3", "x86-64-v2")));
    }

    @Test
    void lookup_whenOnlyV2Supported_returnsV2Entry() throws Exception {
        LdSoCache cache = LdSoCache.read(buildCache("new"));
        assertEquals(Optional.of(V2), cache.lookup("libz.so.1", F, List.of("x86-64-v2")));
    }

    @Test
    void lookup_whenNoHwcapsSupported_returnsPlainLibEntry() throws Exception {
        LdSoCache cache = LdSoCache.read(buildCache("new"));
        assertEquals(Optional.of(PLAIN), cache.lookup("libz.so.1", F, List.of()));
        assertEquals(Optional.of(PLAIN), cache.lookup("libz.so.1", F, List.of("x86-64-v4")));
    }

    @Test
    void lookup_whenFlagsDiffer_findsNothing() throws Exception {
        LdSoCache cache = LdSoCache.read(buildCache("new"));
        assertEquals(Optional.empty(), cache.lookup("libz.so.1", 0x0803, List.of("x86-64-v3")));
        assertEquals(Optional.empty(), cache.lookup("libz.so.2", F, List.of("x86-64-v3")));
    }

    @Test
    void parse_compatFormatCache_usesNewPartAndMatchesLdconfigPrint() throws Exception {
        Path file = buildCache("compat");
        assertTrue(new String(Files.readAllBytes(file), 0, 11, "US-ASCII").equals("ld.so-1.7.0"));
        LdSoCache cache = LdSoCache.read(file);
        LdSoCacheOracleTest.assertMatchesLdconfig(cache, LdSoCacheOracleTest.ldconfigPrint(file));
        assertEquals(3, cache.entries().size());
    }

    @Test
    void lookup_inCompatFormatCache_ignoresHwcapsEntriesLikeGlibc() throws Exception {
        // ldconfig 2.36 stores the hwcaps names relative to the new header, but ld.so resolves
        // them relative to the file start, so no glibc-hwcaps entry ever matches.
        LdSoCache cache = LdSoCache.read(buildCache("compat"));
        assertEquals(Optional.of(PLAIN),
                cache.lookup("libz.so.1", F, List.of("x86-64-v3", "x86-64-v2")));
    }

    @Test
    void lookup_inOldFormatCache_returnsFirstEntryWithMatchingFlags() throws Exception {
        Path file = buildCache("old");
        LdSoCache cache = LdSoCache.read(file);
        LdSoCacheOracleTest.assertMatchesLdconfig(cache, LdSoCacheOracleTest.ldconfigPrint(file));
        assertEquals(List.of(), cache.hwcapsSubdirs());
        assertEquals(Optional.empty(), cache.generator());
        assertEquals(Optional.of(V2), cache.lookup("libz.so.1", F, List.of("x86-64-v3")));
    }

    /**
     * Differential check against the real ld.so: bind-mount each built cache over
     * /etc/ld.so.cache inside a private mount namespace and read ld.so's "trying file=" line.
     * Skipped where unshare/mount are not permitted.
     */
    @Test
    void lookup_builtCachesInAllFormats_agreeWithRealLdSo() throws Exception {
        assertTrue(Files.isExecutable(LdSoCacheOracleTest.LD_SO));
        Process probe = new ProcessBuilder("unshare", "-m", "true").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        assertTrue(probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "unshare -m not permitted here");
        List<String> hwcaps = LdSoCacheOracleTest.supportedHwcaps();
        for (String format : List.of("new", "compat", "old")) {
            Path file = buildCache(format);
            // unshare runs: sh -c 'mount --bind FILE /etc/ld.so.cache && exec "$@"' sh env ...
            List<String> prefix = List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                    "mount --bind \"$0\" /etc/ld.so.cache && exec \"$@\"", file.toString());
            Map<String, Optional<String>> answers =
                    LdSoCacheOracleTest.ldSoCacheAnswers(prefix, List.of("libz.so.1"));
            assertTrue(answers.containsKey("libz.so.1"), format + ": ld.so did not search cache");
            assertEquals(answers.get("libz.so.1"),
                    LdSoCache.read(file).lookup("libz.so.1", F, hwcaps),
                    format + " format, hwcaps " + hwcaps);
        }
    }
}
