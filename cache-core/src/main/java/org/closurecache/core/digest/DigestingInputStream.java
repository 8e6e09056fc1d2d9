package org.closurecache.core.digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Reads through a delegate while hashing and counting every byte read. Skipping and marks are
 * not supported, since skipped bytes would not be hashed. Not thread-safe.
 */
public final class DigestingInputStream extends FilterInputStream {
  private final MessageDigest sha256 = Digest.newMessageDigest();
  private long count;

  public DigestingInputStream(InputStream delegate) {
    super(delegate);
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      sha256.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      sha256.update(b, off, n);
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buffer = new byte[8192];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Does nothing: a mark would let bytes be read, and hashed, twice. */
  @Override
  public void mark(int readlimit) {
    // deliberately not passed to the delegate
  }

  /** Always fails; see {@link #mark}. */
  @Override
  public void reset() throws IOException {
    throw new IOException("mark/reset not supported: re-read bytes would be hashed twice");
  }

  /** The digest and size of everything read so far; call once, after the last read. */
  public Descriptor descriptor() {
    return new Descriptor(Digest.ofBytes(sha256.digest()), count);
  }

  /** Drains {@code in} and returns its descriptor: the one-pass way to name a file's bytes. */
  public static Descriptor hash(InputStream in) throws IOException {
    DigestingInputStream d = new DigestingInputStream(in);
    byte[] buffer = new byte[64 * 1024];
    while (d.read(buffer, 0, buffer.length) >= 0) {
      // only the hash is wanted
    }
    return d.descriptor();
  }
}
