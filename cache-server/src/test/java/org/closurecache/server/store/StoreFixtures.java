package org.closurecache.server.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.closurecache.core.digest.Digest;

/** Shared helpers for the store tests. */
final class StoreFixtures {
  private StoreFixtures() {}

  static byte[] randomBytes(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  static InputStream stream(byte[] data) {
    return new ByteArrayInputStream(data);
  }

  /** Every regular file under {@code dir}, recursively. */
  static List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  static Digest hashOf(Path file) throws IOException {
    return Digest.of(Files.readAllBytes(file));
  }

  /** An endless stream of zeros that counts what was read from it. */
  static final class CountingZeros extends InputStream {
    long read;

    @Override
    public int read() {
      read++;
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      read += len;
      return len;
    }
  }

  /** Yields {@code good} bytes, then fails like a dropped connection. */
  static final class FailingStream extends InputStream {
    private final InputStream delegate;

    FailingStream(byte[] good) {
      this.delegate = new ByteArrayInputStream(good);
    }

    @Override
    public int read() throws IOException {
      int b = delegate.read();
      if (b < 0) {
        throw new IOException("connection reset (simulated)");
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = delegate.read(b, off, len);
      if (n < 0) {
        throw new IOException("connection reset (simulated)");
      }
      return n;
    }
  }
}
