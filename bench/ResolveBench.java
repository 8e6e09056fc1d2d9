import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.closurecache.core.resolve.HostResolver;
import org.closurecache.core.resolve.LdSoCache;
import org.closurecache.core.resolve.LibraryResolver;

/**
 * Times in-process closure resolution, the resolver's own cost without JVM start-up: for each
 * program, a fresh resolver (empty ELF header cache) over the host's parsed ld.so.cache and
 * probed loader profile. Prints "PROGRAM MEDIAN_MS LIBRARIES" per program.
 *
 * Run with the source launcher: java -cp cache-client/target/cache-client.jar bench/ResolveBench.java PROGRAM...
 */
public final class ResolveBench {
  public static void main(String[] args) throws Exception {
    LibraryResolver host = HostResolver.forInterpreter(HostResolver.X86_64_INTERPRETER).resolver();
    LdSoCache cache = LdSoCache.read(HostResolver.LD_SO_CACHE);
    int warmup = 200;
    int runs = 200;
    for (String program : args) {
      int libs = 0;
      for (int i = 0; i < warmup; i++) {
        libs = new LibraryResolver(host.profile(), cache).open(program, List.of(), "/").resolution().loadOrder().size();
      }
      List<Long> nanos = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        new LibraryResolver(host.profile(), cache).open(program, List.of(), "/").resolution();
        nanos.add(System.nanoTime() - t0);
      }
      Collections.sort(nanos);
      System.out.printf("%s %.3f %d%n", program, nanos.get(runs / 2) / 1e6, libs);
    }
  }
}
