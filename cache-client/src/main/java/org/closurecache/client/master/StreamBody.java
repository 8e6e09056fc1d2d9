package org.closurecache.client.master;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * A body read from an {@link HttpURLConnection}, whose read timeout (set to the stall limit when
 * the request was made) bounds the wait for every chunk. Read to the end, the connection goes
 * back to the JDK's keep-alive pool; closed early, it is dropped. One reader thread.
 */
final class StreamBody implements Body {
  private static final int CHUNK = 1 << 16;

  private final HttpURLConnection connection;
  private final InputStream in;
  private final byte[] buffer = new byte[CHUNK];
  private boolean finished;

  StreamBody(HttpURLConnection connection, InputStream in) {
    this.connection = connection;
    this.in = in;
  }

  @Override
  public List<ByteBuffer> next(Duration stall) throws IOException {
    if (finished || in == null) {
      finished = true;
      return null;
    }
    int n;
    try {
      n = in.read(buffer);
    } catch (SocketTimeoutException e) {
      close();
      throw new StreamedBody.StalledException("no body byte for " + stall.toMillis() + " ms (stalled)");
    } catch (IOException e) {
      close();
      throw e;
    }
    if (n < 0) {
      finished = true;
      in.close();
      return null;
    }
    return List.of(ByteBuffer.wrap(buffer, 0, n));
  }

  @Override
  public void close() {
    if (!finished) {
      finished = true;
      connection.disconnect();
    }
  }
}
