package org.closurecache.core.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.closurecache.core.resolve.LdSoCacheHostileInputTest.CacheBuilder;
import org.junit.jupiter.api.Test;

/** glibc 2.36 search_cache semantics on hand-built caches. */
class LdSoCacheLookupTest {

    private static final int F = LdSoCache.FLAGS_X86_64_LIBC6;
    private static final List<String> V3_V2 = List.of("x86-64-v3", "x86-64-v2");

    private static LdSoCache parse(CacheBuilder b) throws LdSoCacheFormatException {
        return LdSoCache.parse(b.build(), "built");
    }

    private static int cmp(String a, String b) {
        return Integer.signum(LdSoCache.libcmp(a.getBytes(StandardCharsets.UTF_8),
                b.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void libcmp_comparesDigitRunsNumerically() {
        assertTrue(cmp("libfoo.so.10", "libfoo.so.9") > 0);
        assertTrue(cmp("libfoo.so.9", "libfoo.so.10") < 0);
        assertEquals(0, cmp("libfoo.so.01", "libfoo.so.1"));
        assertTrue(cmp("libfoo.so", "libfoo.so.1") < 0);
        assertTrue(cmp("libfoo1.so", "libfoox.so") > 0); // digits sort after non-digits
        assertTrue(cmp("libfoox.so", "libfoo1.so") < 0);
        assertTrue(cmp("libb.so", "liba.so") > 0);
        assertEquals(0, cmp("", ""));
    }

    @Test
    void lookup_whenNameAbsent_returnsEmpty() throws Exception {
        LdSoCache cache = parse(new CacheBuilder().add("libb.so.1", "/b").add("liba.so.1", "/a"));
        assertEquals(Optional.empty(), cache.lookup("libc.so.1", F, V3_V2));
        assertEquals(Optional.empty(), LdSoCache.empty().lookup("liba.so.1", F, V3_V2));
        assertTrue(LdSoCache.empty().entries().isEmpty());
    }

    @Test
    void lookup_inTableSortedByLibcmp_findsEveryEntryByBinarySearch() throws Exception {
        // ldconfig sorts descending by _dl_cache_libcmp; the binary search relies on it.
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            names.add("lib" + (char) ('a' + i % 7) + ".so." + i);
        }
        names.sort((a, b) -> cmp(b, a));
        CacheBuilder b = new CacheBuilder();
        names.forEach(n -> b.add(n, "/usr/lib/" + n));
        LdSoCache cache = parse(b);
        for (String n : names) {
            assertEquals(Optional.of("/usr/lib/" + n), cache.lookup(n, F, V3_V2), n);
        }
    }

    @Test
    void lookup_whenNameDiffersOnlyInLeadingZeros_matchesLikeGlibc() throws Exception {
        LdSoCache cache = parse(new CacheBuilder().add("libx.so.1", "/libx.so.1"));
        assertEquals(Optional.of("/libx.so.1"), cache.lookup("libx.so.01", F, V3_V2));
    }

    @Test
    void lookup_whenNameContainsNul_usesPrefixLikeACString() throws Exception {
        LdSoCache cache = parse(new CacheBuilder().add("libx.so.1", "/libx.so.1"));
        assertEquals(Optional.of("/libx.so.1"), cache.lookup("libx.so.1\0junk", F, V3_V2));
    }

    @Test
    void lookup_whenFirstEntryHasOtherFlags_skipsIt() throws Exception {
        LdSoCache cache = parse(new CacheBuilder()
                .add("libx.so.1", "/lib32/libx.so.1", 0x0003, 0)
                .add("libx.so.1", "/lib64/libx.so.1"));
        assertEquals(Optional.of("/lib64/libx.so.1"), cache.lookup("libx.so.1", F, V3_V2));
        assertEquals(Optional.of("/lib32/libx.so.1"), cache.lookup("libx.so.1", 0x0003, V3_V2));
    }

    @Test
    void lookup_whenLegacyEntryHasHwcapBits_skipsIt() throws Exception {
        LdSoCache cache = parse(new CacheBuilder()
                .add("libx.so.1", "/lib/tls/libx.so.1", F, 1L << 63)
                .add("libx.so.1", "/lib/libx.so.1"));
        assertEquals(Optional.of("/lib/libx.so.1"), cache.lookup("libx.so.1", F, V3_V2));
    }

    @Test
    void lookup_whenBetterHwcapsEntryComesLater_returnsBestPriority() throws Exception {
        LdSoCache cache = parse(new CacheBuilder().hwcaps("x86-64-v2", "x86-64-v3", "x86-64-v4")
                .addHwcaps("libx.so.1", "/v2", 0)
                .addHwcaps("libx.so.1", "/v4", 2)
                .addHwcaps("libx.so.1", "/v3", 1)
                .add("libx.so.1", "/plain"));
        assertEquals(Optional.of("/v3"), cache.lookup("libx.so.1", F, V3_V2));
        assertEquals(Optional.of("/v2"), cache.lookup("libx.so.1", F, List.of("x86-64-v2")));
        assertEquals(Optional.of("/v4"),
                cache.lookup("libx.so.1", F, List.of("x86-64-v4", "x86-64-v3", "x86-64-v2")));
        assertEquals(Optional.of("/plain"), cache.lookup("libx.so.1", F, List.of("other")));
    }

    @Test
    void lookup_whenTwoEntriesShareTheBestSubdir_returnsTheFirst() throws Exception {
        LdSoCache cache = parse(new CacheBuilder().hwcaps("x86-64-v3")
                .addHwcaps("libx.so.1", "/first", 0)
                .addHwcaps("libx.so.1", "/second", 0));
        assertEquals(Optional.of("/first"), cache.lookup("libx.so.1", F, V3_V2));
        assertEquals(Optional.empty(), cache.lookup("libx.so.1", F, List.of()));
    }

    @Test
    void lookup_whenLegacyEntryPrecedesHwcapsEntry_returnsLegacyLikeGlibc() throws Exception {
        // search_cache stops at the first usable non-hwcaps entry.
        LdSoCache cache = parse(new CacheBuilder().hwcaps("x86-64-v3")
                .add("libx.so.1", "/plain")
                .addHwcaps("libx.so.1", "/v3", 0));
        assertEquals(Optional.of("/plain"), cache.lookup("libx.so.1", F, V3_V2));
    }

    @Test
    void lookup_whenHwcapsArrayUnsorted_followsGlibcMerge() throws Exception {
        // glibc merges the (supposedly sorted) array with the sorted supported list; with the
        // array out of order, "x86-64-v2" is never matched and gets priority 0.
        LdSoCache cache = parse(new CacheBuilder().hwcaps("x86-64-v3", "x86-64-v2")
                .addHwcaps("libx.so.1", "/v2", 1)
                .add("libx.so.1", "/plain"));
        assertEquals(Optional.of("/plain"), cache.lookup("libx.so.1", F, V3_V2));
    }

    @Test
    void lookup_whenHwcapsEntryHasIsaLevelBits_stillTreatedAsHwcapsEntry() throws Exception {
        long hwcap = LdSoCache.DL_CACHE_HWCAP_EXTENSION | (3L << 32);
        LdSoCache cache = parse(new CacheBuilder().hwcaps("x86-64-v3")
                .add("libx.so.1", "/v3", F, hwcap)
                .add("libx.so.1", "/plain"));
        LdSoCache.Entry e = cache.entries().get(0);
        assertTrue(e.isHwcapsExtension());
        assertEquals(3, e.isaLevel());
        assertEquals(Optional.of("x86-64-v3"), e.hwcapsSubdir());
        assertEquals(Optional.of("/v3"), cache.lookup("libx.so.1", F, V3_V2));
    }

    @Test
    void lookup_whenBitAboveIsaLevelIsSet_treatsEntryAsLegacyAndSkipsIt() throws Exception {
        long hwcap = LdSoCache.DL_CACHE_HWCAP_EXTENSION | (1L << 42);
        LdSoCache cache = parse(new CacheBuilder().hwcaps("x86-64-v3")
                .add("libx.so.1", "/odd", F, hwcap)
                .add("libx.so.1", "/plain"));
        assertEquals(Optional.empty(), cache.entries().get(0).hwcapsSubdir());
        assertEquals(Optional.of("/plain"), cache.lookup("libx.so.1", F, V3_V2));
    }

    /**
     * For any table sorted the way ldconfig sorts it (descending by libcmp), the binary search
     * finds the same answer as scanning the whole table for equal keys.
     */
    @Property(tries = 200)
    void lookup_binarySearchAgreesWithFullScan(
            @ForAll @Size(min = 1, max = 30) List<@IntRange(min = 0, max = 12) Integer> versions,
            @ForAll @IntRange(min = 0, max = 12) int probe) throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            names.add("libq.so." + versions.get(i));
        }
        names.sort((a, b) -> cmp(b, a));
        CacheBuilder b = new CacheBuilder();
        for (int i = 0; i < names.size(); i++) {
            b.add(names.get(i), "/p" + i);
        }
        LdSoCache cache = parse(b);
        String wanted = "libq.so." + probe;
        Optional<String> expected = Optional.empty();
        for (int i = 0; i < names.size(); i++) {
            if (cmp(wanted, names.get(i)) == 0) {
                expected = Optional.of("/p" + i);
                break;
            }
        }
        assertEquals(expected, cache.lookup(wanted, F, V3_V2));
    }
}
