package org.closurecache.core.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Compares the parser and lookup on the machine's real /etc/ld.so.cache against glibc itself:
 * {@code ldconfig -p} for the entry list and the real dynamic loader ({@code LD_DEBUG=libs})
 * for lookups.
 */
class LdSoCacheOracleTest {

    static final Path SYSTEM_CACHE = Path.of("/etc/ld.so.cache");
    static final Path LD_SO = Path.of("/lib64/ld-linux-x86-64.so.2");

    /** One line of {@code ldconfig -p}. */
    record PrintedEntry(String name, String flagsText, Optional<String> hwcapsSubdir,
                        String path) {}

    private static final Pattern LINE = Pattern.compile("^\t(.*?) \\((.*)\\) => (.*)$");
    private static final Pattern HWCAP = Pattern.compile(", hwcap: \"(.*)\"");

    static Path ldconfig() {
        for (String p : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        assertTrue(false, "ldconfig not installed");
        return null;
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "timed out: " + command);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> command + " failed:\n" + text);
        return text;
    }

    static List<PrintedEntry> ldconfigPrint(Path cache) throws Exception {
        String out = run(List.of(ldconfig().toString(), "-p", "-C", cache.toString()));
        List<PrintedEntry> result = new ArrayList<>();
        for (String line : out.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                Matcher h = HWCAP.matcher(m.group(2));
                result.add(new PrintedEntry(m.group(1), m.group(2),
                        h.find() ? Optional.of(h.group(1)) : Optional.empty(), m.group(3)));
            }
        }
        Matcher count = Pattern.compile("(\\d+) libs found in cache").matcher(out);
        assertTrue(count.find(), out);
        assertEquals(Integer.parseInt(count.group(1)), result.size(), "unparsed lines in:\n" + out);
        return result;
    }

    static void assertMatchesLdconfig(LdSoCache cache, List<PrintedEntry> printed) {
        List<LdSoCache.Entry> entries = cache.entries();
        assertEquals(printed.size(), entries.size(), "entry count");
        for (int i = 0; i < entries.size(); i++) {
            LdSoCache.Entry e = entries.get(i);
            PrintedEntry p = printed.get(i);
            String at = "entry " + i + " " + e;
            assertEquals(p.name(), e.name(), at);
            assertEquals(p.path(), e.path(), at);
            assertEquals(p.hwcapsSubdir(), e.hwcapsSubdir(), at);
            assertEquals(p.flagsText().startsWith("libc6,x86-64"),
                    e.flags() == LdSoCache.FLAGS_X86_64_LIBC6, at + " flags " + p.flagsText());
        }
    }

    /** The glibc-hwcaps subdirectories this CPU supports, in ld.so's priority order. */
    static List<String> supportedHwcaps() throws Exception {
        String help = run(List.of(LD_SO.toString(), "--help"));
        List<String> result = new ArrayList<>();
        boolean inSection = false;
        for (String line : help.split("\n")) {
            if (line.startsWith("Subdirectories of glibc-hwcaps directories")) {
                inSection = true;
            } else if (inSection && line.isBlank()) {
                break;
            } else if (inSection && line.contains("(supported, searched)")) {
                result.add(line.trim().split(" ")[0]);
            }
        }
        return result;
    }

    /**
     * Runs the real ld.so in trace mode preloading {@code names}; returns, for every library it
     * looked up in the cache, what the cache gave it (empty = cache miss).
     */
    static Map<String, Optional<String>> ldSoCacheAnswers(List<String> prefix, List<String> names)
            throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("env", "LD_DEBUG=libs", LD_SO.toString(), "--preload",
                String.join(" ", names), "--list", "/bin/true"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        List<String> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            int tab = line.indexOf('\t');
            lines.add(tab >= 0 ? line.substring(tab + 1) : line);
        }
        Map<String, Optional<String>> answers = new LinkedHashMap<>();
        for (int i = 0; i + 2 < lines.size(); i++) {
            if (lines.get(i).startsWith("find library=")
                    && lines.get(i + 1).startsWith(" search cache=")) {
                String name = lines.get(i).substring("find library=".length(),
                        lines.get(i).indexOf(" ["));
                String next = lines.get(i + 2);
                answers.putIfAbsent(name, next.startsWith("  trying file=")
                        ? Optional.of(next.substring("  trying file=".length()))
                        : Optional.empty());
            }
        }
        return answers;
    }

    @Test
    void parse_systemCache_matchesLdconfigPrintInOrder() throws Exception {
        assertTrue(Files.isRegularFile(SYSTEM_CACHE), "no /etc/ld.so.cache");
        LdSoCache cache = LdSoCache.read(SYSTEM_CACHE);
        assertFalse(cache.entries().isEmpty());
        assertMatchesLdconfig(cache, ldconfigPrint(SYSTEM_CACHE));
    }

    @Test
    void generator_systemCache_matchesLdconfigPrintTrailer() throws Exception {
        assertTrue(Files.isRegularFile(SYSTEM_CACHE), "no /etc/ld.so.cache");
        String out = run(List.of(ldconfig().toString(), "-p", "-C", SYSTEM_CACHE.toString()));
        Matcher m = Pattern.compile("Cache generated by: (.*)").matcher(out);
        LdSoCache cache = LdSoCache.read(SYSTEM_CACHE);
        if (m.find()) {
            assertEquals(Optional.of(m.group(1)), cache.generator());
        } else {
            assertEquals(Optional.empty(), cache.generator());
        }
    }

    @Test
    void lookup_everyNameInSystemCache_agreesWithRealLdSo() throws Exception {
        assertTrue(Files.isRegularFile(SYSTEM_CACHE) && Files.isExecutable(LD_SO));
        LdSoCache cache = LdSoCache.read(SYSTEM_CACHE);
        List<String> names = cache.entries().stream().map(LdSoCache.Entry::name)
                .filter(n -> !n.contains(":") && !n.contains(" ")).distinct().toList();
        // Also names the cache does not have, and a numerically-equal spelling.
        List<String> all = new ArrayList<>(names);
        all.add("libclosurecache-does-not-exist.so.1");
        Map<String, Optional<String>> answers = ldSoCacheAnswers(List.of(), all);
        assertTrue(answers.size() > names.size() / 2,
                "ld.so reported too few cache lookups: " + answers.size());
        List<String> hwcaps = supportedHwcaps();
        for (Map.Entry<String, Optional<String>> a : answers.entrySet()) {
            assertEquals(a.getValue(),
                    cache.lookup(a.getKey(), LdSoCache.FLAGS_X86_64_LIBC6, hwcaps),
                    "lookup of " + a.getKey());
        }
        assertTrue(answers.containsKey("libclosurecache-does-not-exist.so.1"));
    }
}
