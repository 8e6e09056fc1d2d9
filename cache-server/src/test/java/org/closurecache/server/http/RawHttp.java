package org.closurecache.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** HTTP/1.1 over a plain socket, for requests no well-behaved client would send. */
final class RawHttp {
  private RawHttp() {}

  record Response(int status, String head, String body) {}

  static Socket connect(int port, int readTimeoutMillis) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(readTimeoutMillis);
    s.setTcpNoDelay(true);
    return s;
  }

  static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  /** Reads one response (head, then a Content-Length body) from {@code in}. */
  static Response read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head.size() + " bytes of response head: " + head);
      }
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int status = Integer.parseInt(h.substring(9, 12));
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    byte[] body = in.readNBytes(length);
    return new Response(status, h, new String(body, StandardCharsets.UTF_8));
  }

  /**
   * Reads until the server closes the connection; answers how long that took. Fails when the
   * socket's read timeout passes first (the server kept the connection open).
   */
  static long millisUntilClosed(Socket s) throws IOException {
    long start = System.nanoTime();
    byte[] buffer = new byte[8192];
    try {
      while (s.getInputStream().read(buffer) >= 0) {
        // an error answer may come first; the close is what counts
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the stalled connection open for "
          + (System.nanoTime() - start) / 1_000_000 + " ms", e);
    } catch (IOException reset) {
      // a reset is a close too
    }
    return (System.nanoTime() - start) / 1_000_000;
  }
}
