package org.closurecache.client.master;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * A response body read chunk by chunk, each chunk with a limit on how long it may take (a master
 * that sends headers and then goes quiet must not hang a fetch thread). One reader thread.
 */
interface Body extends AutoCloseable {
  /** The next chunk (valid until the next call), or null at the end; throws on an error or a stall. */
  List<ByteBuffer> next(Duration stall) throws IOException;

  /** Drops the rest of the body; a connection not read to the end is closed, not reused. */
  @Override
  void close();

  /** Reads the whole body, refusing more than {@code max} bytes. */
  default byte[] readAll(int max, Duration stall) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (List<ByteBuffer> chunk; (chunk = next(stall)) != null; ) {
      for (ByteBuffer b : chunk) {
        if (out.size() + b.remaining() > max) {
          close();
          throw new IOException("the answer is over " + max + " bytes; is this URL a closure-cache master?");
        }
        byte[] a = new byte[b.remaining()];
        b.get(a);
        out.write(a, 0, a.length);
      }
    }
    return out.toByteArray();
  }
}
