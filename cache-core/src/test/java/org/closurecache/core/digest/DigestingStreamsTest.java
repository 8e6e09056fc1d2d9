package org.closurecache.core.digest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class DigestingStreamsTest {

  /** Sizes weighted towards the edges: 0, 1, around 64 KiB and a bit beyond. */
  @Provide
  Arbitrary<Integer> sizes() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(1, Arbitraries.just(0)),
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 300)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(64 * 1024 - 2, 64 * 1024 + 2)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(64 * 1024 + 3, 300_000)));
  }

  @Property(tries = 60)
  void outputStream_withMixedSingleAndBulkWrites_givesSameDescriptorAsDigestOf(
      @ForAll("sizes") int size, @ForAll long seed) throws IOException {
    Random random = new Random(seed);
    byte[] data = new byte[size];
    random.nextBytes(data);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    DigestingOutputStream out = new DigestingOutputStream(sink);
    int pos = 0;
    while (pos < size) {
      switch (random.nextInt(4)) {
        case 0 -> out.write(data[pos++]); // negative bytes as ints too
        case 1 -> out.write(data[pos++] & 0xff);
        case 2 -> out.write(data, pos, 0); // empty bulk write
        default -> {
          int n = 1 + random.nextInt(Math.min(size - pos, 1 + random.nextInt(80_000)));
          // write from an offset inside a larger buffer to catch off/len mix-ups
          byte[] padded = new byte[n + 10];
          System.arraycopy(data, pos, padded, 5, n);
          out.write(padded, 5, n);
          pos += n;
        }
      }
    }
    out.flush();
    assertEquals(new Descriptor(Digest.of(data), size), out.descriptor());
    assertArrayEquals(data, sink.toByteArray());
  }

  @Property(tries = 60)
  void inputStream_withMixedSingleAndBulkReads_givesSameDescriptorAsDigestOf(
      @ForAll("sizes") int size, @ForAll long seed) throws IOException {
    Random random = new Random(seed);
    byte[] data = new byte[size];
    random.nextBytes(data);
    // a delegate that returns short reads, like a socket
    InputStream trickle = new ByteArrayInputStream(data) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1 + random.nextInt(5000)));
      }
    };
    DigestingInputStream in = new DigestingInputStream(trickle);
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    while (true) {
      if (random.nextBoolean()) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        seen.write(b);
      } else {
        byte[] buf = new byte[10 + random.nextInt(70_000)];
        int n = in.read(buf, 3, buf.length - 3);
        if (n < 0) {
          break;
        }
        seen.write(buf, 3, n);
      }
    }
    assertEquals(-1, in.read());
    assertEquals(new Descriptor(Digest.of(data), size), in.descriptor());
    assertArrayEquals(data, seen.toByteArray());
  }

  @Property(tries = 30)
  void hash_drainsTheStream_andMatchesDigestOf(@ForAll("sizes") int size, @ForAll long seed)
      throws IOException {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    assertEquals(new Descriptor(Digest.of(data), size),
        DigestingInputStream.hash(new ByteArrayInputStream(data)));
  }

  @Test
  void skip_hashesTheSkippedBytes() throws IOException {
    byte[] data = new byte[100_000];
    new Random(7).nextBytes(data);
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data));
    assertEquals(10, in.read(new byte[10]));
    assertEquals(70_000, in.skip(70_000));
    assertEquals(29_990, in.skip(1_000_000));
    assertEquals(0, in.skip(5));
    assertEquals(new Descriptor(Digest.of(data), data.length), in.descriptor());
  }

  @Test
  void readAllBytesAndTransferTo_hashEverything() throws IOException {
    byte[] data = new byte[70_001];
    new Random(8).nextBytes(data);
    DigestingInputStream a = new DigestingInputStream(new ByteArrayInputStream(data));
    assertArrayEquals(data, a.readAllBytes());
    assertEquals(new Descriptor(Digest.of(data), data.length), a.descriptor());
    DigestingInputStream b = new DigestingInputStream(new ByteArrayInputStream(data));
    b.transferTo(new ByteArrayOutputStream());
    assertEquals(new Descriptor(Digest.of(data), data.length), b.descriptor());
  }

  @Test
  void markReset_whenDelegateSupportsMarks_isRefusedSoNoByteIsHashedTwice() throws IOException {
    byte[] data = {1, 2, 3, 4, 5};
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data));
    assertFalse(in.markSupported());
    in.mark(100);
    in.read(new byte[3]);
    assertThrows(IOException.class, in::reset);
    in.read(new byte[10]);
    assertEquals(new Descriptor(Digest.of(data), data.length), in.descriptor());
  }

  @Test
  void emptyStreams_giveTheEmptyDigest() throws IOException {
    Descriptor empty = new Descriptor(
        Digest.ofHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 0);
    assertEquals(empty, new DigestingOutputStream(new ByteArrayOutputStream()).descriptor());
    assertEquals(empty, DigestingInputStream.hash(InputStream.nullInputStream()));
  }
}
