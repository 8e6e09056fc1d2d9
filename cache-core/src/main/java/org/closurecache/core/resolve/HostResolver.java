package org.closurecache.core.resolve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.closurecache.core.elf.ElfFile;
import org.closurecache.core.elf.ElfReader;

/**
 * Builds a {@link LibraryResolver} that emulates this host's loader: {@code /etc/ld.so.cache} as
 * the file says, and a {@link LoaderProfile} asked of the loader itself. Thread-safe (no state).
 */
public final class HostResolver {
  public static final Path LD_SO_CACHE = Path.of("/etc/ld.so.cache");
  public static final String X86_64_INTERPRETER = "/lib64/ld-linux-x86-64.so.2";

  private HostResolver() {}

  /** What building the resolver noticed that a user should hear about. */
  public record Built(LibraryResolver resolver, Optional<String> warning) {}

  private static LdSoCache readCache() throws IOException {
    try {
      return LdSoCache.read(LD_SO_CACHE);
    } catch (NoSuchFileException e) {
      return LdSoCache.empty();
    }
  }

  public static Built forInterpreter(String interpreter) throws IOException {
    LdSoCache cache = readCache();
    ElfFile interp = ElfReader.read(Path.of(interpreter));
    int flags = interp.machine() == ElfFile.EM_X86_64 ? LdSoCache.FLAGS_X86_64_LIBC6 : 0x0003;
    // Any library with a DT_NEEDED other than the loader makes it print a search path.
    Optional<String> sample = cache.lookup("libm.so.6", flags, java.util.List.of())
        .or(() -> cache.lookup("libdl.so.2", flags, java.util.List.of()));
    try {
      if (sample.isEmpty() || !Files.isRegularFile(Path.of(sample.get()))) {
        throw new IOException("no libm.so.6 in " + LD_SO_CACHE + " to probe the loader with");
      }
      LoaderProfile profile = LoaderProfile.probe(Path.of(interpreter), Path.of(sample.get()), interp.machine(), flags);
      return new Built(new LibraryResolver(profile, cache), Optional.empty());
    } catch (IOException e) {
      LoaderProfile fallback = LoaderProfile.debianX86_64Fallback();
      return new Built(new LibraryResolver(fallback, cache), Optional.of(
          "could not ask " + interpreter + " for its search rules (" + e.getMessage()
              + "); assuming Debian x86_64 defaults without hwcaps subdirectories"));
    }
  }
}
