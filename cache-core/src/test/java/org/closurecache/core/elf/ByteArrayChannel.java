package org.closurecache.core.elf;

import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A read-only in-memory channel over a prefix of {@code base} with single-byte patches laid on
 * top, so a fuzz iteration can mutate a multi-megabyte file without copying it.
 */
final class ByteArrayChannel implements SeekableByteChannel {
  private final byte[] base;
  private final long length;
  private final NavigableMap<Long, Byte> patches;
  private long position;
  private boolean open = true;

  ByteArrayChannel(byte[] base) {
    this(base, base.length, new TreeMap<>());
  }

  ByteArrayChannel(byte[] base, long length, NavigableMap<Long, Byte> patches) {
    if (length < 0 || length > base.length) {
      throw new IllegalArgumentException("length " + length);
    }
    this.base = base;
    this.length = length;
    this.patches = patches;
  }

  @Override
  public int read(ByteBuffer dst) {
    if (position >= length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), length - position);
    int start = dst.position();
    dst.put(base, (int) position, n);
    for (Map.Entry<Long, Byte> p : patches.subMap(position, position + n).entrySet()) {
      dst.put(start + (int) (p.getKey() - position), p.getValue());
    }
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position " + newPosition);
    }
    position = newPosition;
    return this;
  }

  @Override
  public long size() {
    return length;
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
  }
}
