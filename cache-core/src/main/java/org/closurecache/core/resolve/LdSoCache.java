package org.closurecache.core.resolve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed glibc {@code /etc/ld.so.cache} and a lookup that answers exactly what glibc 2.36's
 * {@code search_cache} (elf/dl-cache.c) answers on x86_64, without running {@code ldconfig} or
 * {@code ld.so}.
 *
 * <h2>File format (little-endian only; see glibc {@code sysdeps/generic/dl-cache.h})</h2>
 * <ul>
 *   <li><b>New format</b> (what glibc &ge; 2.32 {@code ldconfig} writes by default): a 48-byte
 *       header {@code "glibc-ld.so.cache" "1.1"} (20 bytes), {@code uint32 nlibs},
 *       {@code uint32 len_strings}, {@code uint8 flags} (endianness: 0 unset, 1 invalid,
 *       2 little, 3 big), 3 pad bytes, {@code uint32 extension_offset}, {@code uint32 unused[3]};
 *       then {@code nlibs} 24-byte entries {@code {int32 flags; uint32 key; uint32 value;
 *       uint32 osversion; uint64 hwcap}}. {@code key} (the SONAME) and {@code value} (the path)
 *       are offsets of NUL-terminated strings counted from the start of this new-format header.
 *       {@code len_strings} is ignored, as ld.so ignores it.</li>
 *   <li><b>Old format</b> ({@code "ld.so-1.7.0"}, padded to 12 bytes, {@code uint32 nlibs},
 *       then {@code nlibs} 12-byte entries {@code {int32 flags; uint32 key; uint32 value}}; string
 *       offsets are counted from the end of the entry table). If a new-format header follows at
 *       {@code ALIGN_CACHE(16 + 12*nlibs)} (8-byte alignment) this is the "compat" format and,
 *       like ld.so, only the new-format part is used; otherwise the old entries are used, with
 *       {@code hwcap} reported as 0.</li>
 *   <li><b>Extension directory</b> (new format only) at {@code extension_offset}, a <em>file</em>
 *       offset: {@code uint32 magic 0xEAA42174}, {@code uint32 count}, then {@code count}
 *       {@code {uint32 tag; uint32 flags; uint32 offset; uint32 size}} sections with file-relative
 *       offsets. Tag 0 ({@code cache_extension_tag_generator}) is the generator string; tag 1
 *       ({@code cache_extension_tag_glibc_hwcaps}) is an array of {@code uint32} string offsets
 *       naming glibc-hwcaps subdirectories. (The glibc enum starts at 0; these are the values
 *       ldconfig 2.36 writes.) Unknown tags are ignored; a later duplicate tag replaces an
 *       earlier one; an hwcaps section that is empty, misaligned or not a multiple of 4 bytes is
 *       dropped, as {@code cache_extension_verify} does. Like ld.so 2.36 and {@code ldconfig -p},
 *       the hwcaps name offsets are resolved relative to the <em>file</em> start. In the compat
 *       format ldconfig writes them relative to the new header, so glibc reads the wrong bytes
 *       and never uses those entries; this class reproduces that.</li>
 *   <li>An entry is a glibc-hwcaps entry when {@code ((hwcap >> 32) & ~0x3ff) == (1 << 30)}
 *       ({@code DL_CACHE_HWCAP_EXTENSION}, bit 62, ignoring the ten
 *       {@code DL_CACHE_HWCAP_ISA_LEVEL_MASK} bits 32..41). Its low 32 bits index the hwcaps
 *       array, reported as {@link Entry#hwcapsSubdir()}.</li>
 * </ul>
 *
 * <h2>Validation</h2>
 * Parsing is stricter than ld.so: every key and value of every entry must be a NUL-terminated
 * string inside the file, every hwcaps index must be in range, and the extension directory must
 * lie inside the file. Any violation, a bad magic, an entry table that runs past the end of the
 * file, a wrong (big-endian or "invalid") byte order, or a file larger than
 * {@value #MAX_FILE_SIZE} bytes causes {@link LdSoCacheFormatException}; no other runtime
 * exception escapes from {@link #parse}, and the work done is linear in the input size.
 * (ld.so would ignore such a cache as a whole, or tolerate some of these faults.)
 * Strings are decoded as UTF-8. Paths that are not valid UTF-8 are therefore not kept exactly;
 * lookups compare the raw bytes.
 *
 * <h2>Lookup contract</h2>
 * {@link #lookup} runs glibc 2.36's binary search with {@code _dl_cache_libcmp} (digit runs
 * compare numerically) over the entries in file order, then walks every entry whose key equals
 * the name:
 * <ol>
 *   <li>entries whose {@code flags != requiredFlags} are skipped (on x86_64
 *       {@code _dl_cache_check_flags(f)} is {@code f == 0x0303}). {@code requiredFlags} also
 *       stands in for {@code _DL_CACHE_DEFAULT_ID};</li>
 *   <li>a glibc-hwcaps entry is usable only if its subdirectory appears in
 *       {@code hwcapsSubdirsByPriority} (index 0 = most preferred). Priorities are assigned with
 *       glibc's sorted merge ({@code glibc_hwcaps_priorities_init}), so even a hwcaps array that
 *       is not sorted gives glibc's answer. The usable entry with the best priority wins, and on a
 *       tie the earlier entry wins;</li>
 *   <li>at the first non-hwcaps entry that passes the flags check, an hwcaps winner (if any) is
 *       returned. Otherwise a legacy entry with {@code hwcap == 0} is returned. Legacy entries
 *       with non-zero hwcap bits (the pre-2.37 {@code tls}/{@code x86_64} hwcap subdirectories
 *       and platform bits) are <b>always skipped</b>. glibc 2.36 would accept some of them, as
 *       far as AT_HWCAP and the {@code glibc.cpu.hwcap_mask} tunable allow, but ldconfig 2.36
 *       on x86_64 no longer writes any (it only has glibc-hwcaps
 *       subdirectories).</li>
 * </ol>
 * Not emulated: the x86 ISA-level check {@code dl_cache_hwcap_isa_level_compatible}. The ISA level
 * bits are exposed through {@link Entry#isaLevel()}, and every listed subdirectory is assumed to be
 * supported by the CPU, so callers should pass only subdirectories the target CPU supports.
 * Also not emulated: the {@code osversion} field, which 2.36 no longer reads. A lookup name is
 * taken up to its first NUL character, as a C string would be.
 *
 * <h2>Thread safety</h2>
 * Instances are immutable after parsing and safe to share between threads; {@link #lookup}
 * allocates only call-local state.
 */
public final class LdSoCache {

    /** {@code FLAG_ELF_LIBC6 | FLAG_X8664_LIB64}: the only flags ld.so accepts on x86_64. */
    public static final int FLAGS_X86_64_LIBC6 = 0x0303;

    /** Largest file {@link #read} and {@link #parse} accept (64 MiB). */
    public static final int MAX_FILE_SIZE = 64 * 1024 * 1024;

    static final long DL_CACHE_HWCAP_EXTENSION = 1L << 62;
    static final int DL_CACHE_HWCAP_ISA_LEVEL_MASK = (1 << 10) - 1;
    static final int EXTENSION_MAGIC = 0xEAA42174;
    static final int TAG_GENERATOR = 0;
    static final int TAG_GLIBC_HWCAPS = 1;

    private static final byte[] OLD_MAGIC = "ld.so-1.7.0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEW_MAGIC =
            "glibc-ld.so.cache1.1".getBytes(StandardCharsets.US_ASCII);
    private static final int OLD_HEADER_SIZE = 16;
    private static final int OLD_ENTRY_SIZE = 12;
    private static final int NEW_HEADER_SIZE = 48;
    private static final int NEW_ENTRY_SIZE = 24;
    private static final int EXT_HEADER_SIZE = 8;
    private static final int EXT_SECTION_SIZE = 16;

    private static final LdSoCache EMPTY =
            new LdSoCache(List.of(), new byte[0][], new int[0], List.of(), new byte[0][], null);

    /**
     * One cache entry.
     *
     * @param name the key (the SONAME ldconfig recorded)
     * @param path the value, exactly as stored
     * @param flags the entry flags ({@code 0x0303} for x86-64 libc6 libraries)
     * @param hwcap the raw 64-bit hwcap field (0 for old-format entries)
     * @param hwcapsSubdir the glibc-hwcaps subdirectory name if this is a glibc-hwcaps entry
     */
    public record Entry(String name, String path, int flags, long hwcap,
                        Optional<String> hwcapsSubdir) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(hwcapsSubdir, "hwcapsSubdir");
        }

        /** True if {@link #hwcap()} marks this as a glibc-hwcaps entry (see class Javadoc). */
        public boolean isHwcapsExtension() {
            return isExtension(hwcap);
        }

        /** The x86 ISA level stored in bits 32..41 of a glibc-hwcaps entry; 0 otherwise. */
        public int isaLevel() {
            return isExtension(hwcap) ? (int) (hwcap >>> 32) & DL_CACHE_HWCAP_ISA_LEVEL_MASK : 0;
        }
    }

    private final List<Entry> entries;
    /** Raw key bytes (without NUL), parallel to {@link #entries}. */
    private final byte[][] keys;
    /** Index into {@link #hwcapsRaw} for glibc-hwcaps entries, -1 otherwise. */
    private final int[] hwcapsIndex;
    private final List<String> hwcapsSubdirs;
    private final byte[][] hwcapsRaw;
    private final String generator;

    private LdSoCache(List<Entry> entries, byte[][] keys, int[] hwcapsIndex,
                      List<String> hwcapsSubdirs, byte[][] hwcapsRaw, String generator) {
        this.entries = entries;
        this.keys = keys;
        this.hwcapsIndex = hwcapsIndex;
        this.hwcapsSubdirs = hwcapsSubdirs;
        this.hwcapsRaw = hwcapsRaw;
        this.generator = generator;
    }

    /** A cache with no entries: every lookup is empty. */
    public static LdSoCache empty() {
        return EMPTY;
    }

    /**
     * Reads and parses a cache file.
     *
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws LdSoCacheFormatException if it is malformed or larger than {@value #MAX_FILE_SIZE}
     *     bytes
     * @throws IOException on other read errors
     */
    public static LdSoCache read(Path file) throws IOException {
        String source = file.toString();
        if (Files.isRegularFile(file) && Files.size(file) > MAX_FILE_SIZE) {
            throw tooLarge(source);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_SIZE + 1); // bounded even if the file grows meanwhile
        }
        if (bytes.length > MAX_FILE_SIZE) {
            throw tooLarge(source);
        }
        return parse(bytes, source);
    }

    private static LdSoCacheFormatException tooLarge(String source) {
        return new LdSoCacheFormatException(source,
                "file is larger than the accepted maximum of " + MAX_FILE_SIZE + " bytes");
    }

    /**
     * Parses the bytes of a cache file.
     *
     * @param sourceForErrors named in exception messages (for example the file path)
     * @throws LdSoCacheFormatException if the bytes are not a well-formed little-endian cache
     */
    public static LdSoCache parse(byte[] bytes, String sourceForErrors)
            throws LdSoCacheFormatException {
        Objects.requireNonNull(bytes, "bytes");
        String source = sourceForErrors == null ? "<unknown>" : sourceForErrors;
        return new Parser(bytes, source).parse();
    }

    /** Entries in file order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The generator string (extension tag 0, e.g. {@code "ldconfig (Debian GLIBC 2.36-9...)"}). */
    public Optional<String> generator() {
        return Optional.ofNullable(generator);
    }

    /** The glibc-hwcaps subdirectory names of extension tag 1, in file order; empty if absent. */
    public List<String> hwcapsSubdirs() {
        return hwcapsSubdirs;
    }

    /**
     * The path glibc 2.36's search_cache would return for this DT_NEEDED name, or empty.
     *
     * @param name the name to look up (normally a DT_NEEDED entry without a slash)
     * @param requiredFlags the flags an entry must have, {@link #FLAGS_X86_64_LIBC6} on x86_64
     * @param hwcapsSubdirsByPriority supported glibc-hwcaps subdirectories, most preferred first
     *     (ld.so's order, e.g. {@code ["x86-64-v3", "x86-64-v2"]}); others are unusable
     */
    public Optional<String> lookup(String name, int requiredFlags,
                                   List<String> hwcapsSubdirsByPriority) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hwcapsSubdirsByPriority, "hwcapsSubdirsByPriority");
        int nul = name.indexOf('\0');
        byte[] wanted = (nul >= 0 ? name.substring(0, nul) : name).getBytes(StandardCharsets.UTF_8);

        int left = 0;
        int right = entries.size() - 1;
        while (left <= right) {
            int middle = (left + right) >>> 1;
            int cmp = libcmp(wanted, keys[middle]);
            if (cmp == 0) {
                return Optional.ofNullable(
                        scanMatches(wanted, middle, requiredFlags, hwcapsSubdirsByPriority));
            }
            if (cmp < 0) {
                left = middle + 1;
            } else {
                right = middle - 1;
            }
        }
        return Optional.empty();
    }

    /** The body of glibc's search_cache once the binary search has hit entry {@code hit}. */
    private String scanMatches(byte[] wanted, int hit, int requiredFlags, List<String> subdirs) {
        int first = hit;
        while (first > 0 && libcmp(wanted, keys[first - 1]) == 0) {
            first--;
        }
        int[] priorities = null; // computed on first glibc-hwcaps entry
        String best = null;
        int bestPriority = 0;
        for (int i = first; i < entries.size(); i++) {
            if (i > hit && libcmp(wanted, keys[i]) != 0) {
                break;
            }
            Entry e = entries.get(i);
            if (e.flags() != requiredFlags) {
                continue;
            }
            boolean named = hwcapsIndex[i] >= 0;
            if (!named && best != null) {
                break; // hwcaps entries come first; the best one found wins
            }
            if (!named && e.hwcap() != 0) {
                continue; // legacy hwcap/platform entry: not emulated, skipped (see Javadoc)
            }
            if (named) {
                if (priorities == null) {
                    priorities = glibcHwcapsPriorities(subdirs);
                }
                int priority = priorities[hwcapsIndex[i]];
                if (priority == 0) {
                    continue; // subdirectory not supported
                }
                if (best != null && Integer.compareUnsigned(priority, bestPriority) >= 0) {
                    continue; // an earlier entry is at least as good
                }
                bestPriority = priority;
            }
            best = e.path();
            if (!named) {
                break; // flags equal the default id: no better entry can follow
            }
        }
        return best;
    }

    /**
     * Emulates {@code glibc_hwcaps_priorities_init}: a merge of the cache's hwcaps array (assumed
     * sorted) with the supported names sorted by byte order; priority = 1 + position in the
     * caller's list, 0 = unusable.
     */
    private int[] glibcHwcapsPriorities(List<String> subdirsByPriority) {
        Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < subdirsByPriority.size(); i++) {
            firstIndex.putIfAbsent(Objects.requireNonNull(subdirsByPriority.get(i)), i + 1);
        }
        List<byte[]> rightNames = new ArrayList<>();
        List<Integer> rightPriorities = new ArrayList<>();
        firstIndex.entrySet().stream()
                .map(en -> Map.entry(en.getKey().getBytes(StandardCharsets.UTF_8), en.getValue()))
                .sorted((a, b) -> Arrays.compareUnsigned(a.getKey(), b.getKey()))
                .forEach(en -> {
                    rightNames.add(en.getKey());
                    rightPriorities.add(en.getValue());
                });

        int[] result = new int[hwcapsRaw.length];
        int left = 0;
        int right = 0;
        while (left < hwcapsRaw.length && right < rightNames.size()) {
            int cmp = Arrays.compareUnsigned(hwcapsRaw[left], rightNames.get(right));
            if (cmp == 0) {
                result[left++] = rightPriorities.get(right++);
            } else if (cmp < 0) {
                result[left++] = 0;
            } else {
                right++;
            }
        }
        return result; // remaining left elements stay 0
    }

    /**
     * glibc's {@code _dl_cache_libcmp} on C strings given as byte arrays without their NUL:
     * digit runs compare numerically (with C {@code int} wrap-around), other bytes as signed
     * {@code char}. Returns the sign glibc returns.
     */
    static int libcmp(byte[] s1, byte[] s2) {
        int i1 = 0;
        int i2 = 0;
        while (at(s1, i1) != 0) {
            int c1 = at(s1, i1);
            int c2 = at(s2, i2);
            if (isDigit(c1)) {
                if (!isDigit(c2)) {
                    return 1;
                }
                int val1 = c1 - '0';
                int val2 = c2 - '0';
                i1++;
                i2++;
                while (isDigit(at(s1, i1))) {
                    val1 = val1 * 10 + at(s1, i1++) - '0';
                }
                while (isDigit(at(s2, i2))) {
                    val2 = val2 * 10 + at(s2, i2++) - '0';
                }
                if (val1 != val2) {
                    return val1 - val2;
                }
            } else if (isDigit(c2)) {
                return -1;
            } else if (c1 != c2) {
                return c1 - c2;
            } else {
                i1++;
                i2++;
            }
        }
        return at(s1, i1) - at(s2, i2);
    }

    private static int at(byte[] s, int i) {
        return i < s.length ? s[i] : 0; // signed, like x86_64 char
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    static boolean isExtension(long hwcap) {
        return ((hwcap >>> 32) & ~(long) DL_CACHE_HWCAP_ISA_LEVEL_MASK)
                == (DL_CACHE_HWCAP_EXTENSION >>> 32);
    }

    @Override
    public String toString() {
        return "LdSoCache[" + entries.size() + " entries, hwcaps=" + hwcapsSubdirs
                + ", generator=" + generator + "]";
    }

    /** Bounds-checked reader over the file bytes; every failure is a format exception. */
    private static final class Parser {
        private final byte[] b;
        private final String source;

        Parser(byte[] bytes, String source) {
            this.b = bytes;
            this.source = source;
        }

        LdSoCacheFormatException fail(String reason) {
            return new LdSoCacheFormatException(source, reason);
        }

        LdSoCache parse() throws LdSoCacheFormatException {
            if (b.length > MAX_FILE_SIZE) {
                throw tooLarge(source);
            }
            if (startsWith(0, NEW_MAGIC)) {
                return parseNew(0);
            }
            if (startsWith(0, OLD_MAGIC)) {
                return parseOld();
            }
            throw fail("bad magic: expected \"glibc-ld.so.cache1.1\" or \"ld.so-1.7.0\" but"
                    + " the file starts with " + hexPrefix());
        }

        private LdSoCache parseOld() throws LdSoCacheFormatException {
            if (b.length <= OLD_HEADER_SIZE) {
                throw fail("truncated old-format header: file has " + b.length
                        + " bytes, need more than " + OLD_HEADER_SIZE);
            }
            long nlibs = u32(12);
            long tableEnd = OLD_HEADER_SIZE + nlibs * OLD_ENTRY_SIZE;
            if (tableEnd > b.length) {
                throw fail("old-format nlibs " + nlibs + " needs an entry table ending at byte "
                        + tableEnd + " but the file has only " + b.length + " bytes");
            }
            long newOffset = (tableEnd + 7) & ~7L; // ALIGN_CACHE: alignof(cache_file_new) == 8
            if (newOffset + NEW_HEADER_SIZE <= b.length && startsWith((int) newOffset, NEW_MAGIC)) {
                return parseNew((int) newOffset); // compat format: ld.so uses the new part only
            }
            int n = (int) nlibs;
            int strings = (int) tableEnd;
            List<Entry> list = new ArrayList<>(n);
            byte[][] keys = new byte[n][];
            for (int i = 0; i < n; i++) {
                int at = OLD_HEADER_SIZE + i * OLD_ENTRY_SIZE;
                int flags = s32(at);
                keys[i] = cString(strings, u32(at + 4), "old-format entry " + i + " key");
                byte[] value = cString(strings, u32(at + 8), "old-format entry " + i + " value");
                list.add(new Entry(utf8(keys[i]), utf8(value), flags, 0L, Optional.empty()));
            }
            int[] noHwcaps = new int[n];
            Arrays.fill(noHwcaps, -1);
            return new LdSoCache(Collections.unmodifiableList(list), keys, noHwcaps, List.of(),
                    new byte[0][], null);
        }

        private LdSoCache parseNew(int base) throws LdSoCacheFormatException {
            if ((long) b.length - base <= NEW_HEADER_SIZE) {
                throw fail("truncated new-format header at offset " + base + ": "
                        + ((long) b.length - base) + " bytes left, need more than "
                        + NEW_HEADER_SIZE);
            }
            long nlibs = u32(base + 20);
            int endian = b[base + 28] & 0xff;
            long extensionOffset = u32(base + 32);
            if (endian != 0 && (endian & 3) != 2) {
                throw fail("unsupported byte order flag " + endian + " in new-format header"
                        + " (2 = little-endian expected; glibc on x86_64 ignores such a cache)");
            }
            long tableEnd = base + NEW_HEADER_SIZE + nlibs * NEW_ENTRY_SIZE;
            if (tableEnd > b.length) {
                throw fail("new-format nlibs " + nlibs + " needs an entry table ending at byte "
                        + tableEnd + " but the file has only " + b.length + " bytes");
            }

            String generator = null;
            byte[][] hwcapsRaw = new byte[0][];
            if (extensionOffset != 0) {
                long[] sections = loadExtensions(extensionOffset);
                long genOff = sections[0];
                if (genOff >= 0) {
                    generator = new String(b, (int) genOff, (int) sections[1],
                            StandardCharsets.UTF_8);
                }
                long hwOff = sections[2];
                long hwSize = sections[3];
                if (hwOff >= 0 && hwSize != 0 && hwOff % 4 == 0 && hwSize % 4 == 0) {
                    int count = (int) (hwSize / 4);
                    hwcapsRaw = new byte[count][];
                    for (int i = 0; i < count; i++) {
                        // File-relative, as ld.so 2.36 (glibc_hwcaps_compare) and ldconfig -p.
                        hwcapsRaw[i] = cString(0, u32((int) hwOff + 4 * i),
                                "glibc-hwcaps name " + i);
                    }
                }
            }
            List<String> hwcapsNames = new ArrayList<>(hwcapsRaw.length);
            for (byte[] raw : hwcapsRaw) {
                hwcapsNames.add(utf8(raw));
            }

            int n = (int) nlibs;
            List<Entry> list = new ArrayList<>(n);
            byte[][] keys = new byte[n][];
            int[] hwcapsIndex = new int[n];
            for (int i = 0; i < n; i++) {
                int at = base + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
                int flags = s32(at);
                keys[i] = cString(base, u32(at + 4), "entry " + i + " key");
                byte[] value = cString(base, u32(at + 8), "entry " + i + " value");
                long hwcap = s64(at + 16);
                Optional<String> subdir = Optional.empty();
                hwcapsIndex[i] = -1;
                if (isExtension(hwcap)) {
                    long index = hwcap & 0xffffffffL;
                    if (index >= hwcapsRaw.length) {
                        throw fail("entry " + i + " (" + utf8(keys[i]) + ") refers to glibc-hwcaps"
                                + " subdirectory index " + index + " but the cache lists "
                                + hwcapsRaw.length);
                    }
                    hwcapsIndex[i] = (int) index;
                    subdir = Optional.of(hwcapsNames.get((int) index));
                }
                list.add(new Entry(utf8(keys[i]), utf8(value), flags, hwcap, subdir));
            }
            return new LdSoCache(Collections.unmodifiableList(list), keys, hwcapsIndex,
                    List.copyOf(hwcapsNames), hwcapsRaw, generator);
        }

        /**
         * Validates the extension directory like {@code cache_extension_load} and returns
         * {generatorOffset, generatorSize, hwcapsOffset, hwcapsSize}, with -1 offsets for
         * absent sections.
         */
        private long[] loadExtensions(long offset) throws LdSoCacheFormatException {
            if (offset % 4 != 0) {
                throw fail("extension offset " + offset + " is not a multiple of 4");
            }
            if (offset + EXT_HEADER_SIZE > b.length) {
                throw fail("extension directory at offset " + offset
                        + " extends past the end of the file (" + b.length + " bytes)");
            }
            int at = (int) offset;
            int magic = s32(at);
            if (magic != EXTENSION_MAGIC) {
                throw fail(String.format("bad extension magic 0x%08x at offset %d"
                        + " (expected 0x%08x)", magic, offset, EXTENSION_MAGIC));
            }
            long count = u32(at + 4);
            long end = offset + EXT_HEADER_SIZE + count * EXT_SECTION_SIZE;
            if (end > b.length) {
                throw fail("extension count " + count + " needs a directory ending at byte " + end
                        + " but the file has only " + b.length + " bytes");
            }
            long[] result = {-1, 0, -1, 0};
            for (int i = 0; i < count; i++) {
                int s = at + EXT_HEADER_SIZE + i * EXT_SECTION_SIZE;
                long tag = u32(s);
                long secOffset = u32(s + 8);
                long secSize = u32(s + 12);
                if (secOffset + secSize > b.length) {
                    throw fail("extension section " + i + " (tag " + tag + ") at offset "
                            + secOffset + " with size " + secSize
                            + " extends past the end of the file (" + b.length + " bytes)");
                }
                if (tag == TAG_GENERATOR) {
                    result[0] = secOffset;
                    result[1] = secSize;
                } else if (tag == TAG_GLIBC_HWCAPS) {
                    result[2] = secOffset;
                    result[3] = secSize;
                }
            }
            return result;
        }

        /** NUL-terminated string at base + offset, which must lie inside the file. */
        private byte[] cString(int base, long offset, String what)
                throws LdSoCacheFormatException {
            long start = base + offset;
            if (start >= b.length) {
                throw fail(what + ": string offset " + offset + " (file offset " + start
                        + ") is past the end of the file (" + b.length + " bytes)");
            }
            int s = (int) start;
            for (int i = s; i < b.length; i++) {
                if (b[i] == 0) {
                    return Arrays.copyOfRange(b, s, i);
                }
            }
            throw fail(what + ": string at file offset " + start
                    + " has no terminating NUL before the end of the file");
        }

        private boolean startsWith(int at, byte[] magic) {
            if ((long) at + magic.length > b.length) {
                return false;
            }
            return Arrays.equals(b, at, at + magic.length, magic, 0, magic.length);
        }

        private long u32(int at) {
            return s32(at) & 0xffffffffL;
        }

        private int s32(int at) {
            return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16
                    | (b[at + 3] & 0xff) << 24;
        }

        private long s64(int at) {
            return u32(at) | u32(at + 4) << 32;
        }

        private String hexPrefix() {
            StringBuilder sb = new StringBuilder();
            int n = Math.min(b.length, 20);
            for (int i = 0; i < n; i++) {
                sb.append(String.format("%02x", b[i] & 0xff));
            }
            return n == 0 ? "<empty file>" : sb.toString();
        }
    }

    private static String utf8(byte[] raw) {
        return new String(raw, StandardCharsets.UTF_8);
    }
}
