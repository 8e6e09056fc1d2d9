package org.closurecache.core.digest;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Writes through to a delegate while hashing and counting every byte, so a copy yields its
 * {@link Descriptor} without reading the data a second time. Not thread-safe.
 */
public final class DigestingOutputStream extends FilterOutputStream {
  private final MessageDigest sha256 = Digest.newMessageDigest();
  private long count;

  public DigestingOutputStream(OutputStream delegate) {
    super(delegate);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    sha256.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    sha256.update(b, off, len);
    count += len;
  }

  /** The digest and size of everything written so far; call once, after the last write. */
  public Descriptor descriptor() {
    return new Descriptor(Digest.ofBytes(sha256.digest()), count);
  }
}
