package org.closurecache.client.master;

import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.closurecache.core.digest.Digest;
import org.closurecache.core.digest.DigestMismatchException;

/**
 * The state of one {@link MasterClient#fetchObject} call: the target file, how many bytes it holds
 * and the SHA-256 of exactly those bytes, carried from one master to the next.
 *
 * <p>Each byte is hashed once: a prefix already in the file is hashed when the download is opened,
 * received bytes as they are written. That is what lets an interrupted transfer resume with
 * {@code Range: bytes=N-} from any master (objects are content-addressed, so every master's bytes
 * are the same) without reading the file again. A 200 answer to a Range request, a 416, a body
 * longer than the expected size or a final hash that does not match all truncate the file to zero
 * and reset the hash: the bytes are not trusted any more.
 *
 * <p><b>A bad prefix.</b> When a resumed object does not verify, the wrong bytes may be the ones
 * resumed onto, not the ones just received: a proxy that corrupts a prefix and then drops the
 * connection would otherwise get the next, honest master blamed. So the object is fetched again
 * from byte 0 at the same master, in the same attempt; if that copy verifies, the masters whose
 * bytes were resumed onto are reported to {@link Listener#blamed} (a prefix left by an earlier,
 * interrupted call has no known source and blames nobody). If it does not, this master sent a
 * whole wrong copy and the mismatch is its failure. Not thread-safe: one per call.
 */
final class ObjectDownload implements AutoCloseable {
  private static final int READ_BUFFER = 1 << 20;

  private final Digest digest;
  private final long size;
  private final FileChannel file;
  private final MessageDigest sha256 = Digest.newMessageDigest();
  private final Listener listener;
  /** Masters whose bytes the file holds, in the order they were appended; emptied with the file. */
  private final Set<URI> sources = new LinkedHashSet<>();
  private long have;
  private long received;
  private boolean resumed;
  /** Whether the last GET continued bytes already held (a 206), so a mismatch may be theirs. */
  private boolean lastResumedOnto;

  /** What a download tells its caller as it goes; called on the downloading thread. */
  interface Listener {
    /** {@code n} body bytes arrived from {@code master} (discarded ones included). */
    void received(URI master, long n);

    /** The bytes held in the file changed by {@code delta}: up as bytes are written, down when they are thrown away. */
    void held(long delta);

    /** {@code master} sent bytes that did not verify: found when another master's whole copy did. */
    void blamed(URI master);
  }

  private ObjectDownload(Digest digest, long size, FileChannel file, Listener listener) {
    this.digest = digest;
    this.size = size;
    this.file = file;
    this.listener = listener;
  }

  /** Opens (creating if needed) {@code target}, keeping and hashing a prefix of at most {@code size} bytes. */
  static ObjectDownload open(Digest digest, long size, Path target, Listener listener) throws IOException {
    FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    ObjectDownload d = new ObjectDownload(digest, size, ch, listener);
    try {
      long existing = ch.size();
      if (existing > size) {
        d.restart(); // longer than the object: not a prefix of it
      } else {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(READ_BUFFER, Math.max(existing, 1)));
        while (d.have < existing) {
          buf.clear().limit((int) Math.min(buf.capacity(), existing - d.have));
          int n = ch.read(buf, d.have);
          if (n < 0) {
            break; // shrank under us; keep what was hashed
          }
          buf.flip();
          d.sha256.update(buf);
          d.have += n;
        }
        ch.truncate(d.have);
        listener.held(d.have);
      }
      return d;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** True when the file already held the whole object and it hashes right (nothing to fetch). */
  boolean completeAlready() throws IOException {
    if (have != size) {
      return false;
    }
    if (finish().equals(digest)) {
      return true;
    }
    restart();
    return false;
  }

  boolean resumed() {
    return resumed;
  }

  long received() {
    return received;
  }

  /** One attempt at {@code master}: continues from the bytes held, returns normally only with the verified object. */
  void attempt(Transport transport, URI master, MasterOptions options) throws IOException {
    List<URI> prefixFrom = new ArrayList<>(sources);
    prefixFrom.remove(master); // its own bytes are judged by its own copy below
    try {
      get(transport, master, options);
    } catch (DigestMismatchException e) {
      if (!lastResumedOnto) {
        throw e; // a whole copy of its own: this master's failure
      }
      // the bytes resumed onto may be the bad ones: judge this master by a whole copy of its own
      get(transport, master, options);
      prefixFrom.forEach(listener::blamed);
    }
  }

  private void get(Transport transport, URI master, MasterOptions options) throws IOException {
    long from = have;
    Map<String, String> headers = from > 0 ? Map.of("Range", "bytes=" + from + "-") : Map.of();
    try (Transport.Answer a = transport.get(master, "/v1/objects/" + digest, headers, options.stallTimeout())) {
      if (a.status() == 206 && from > 0) {
        String range = a.headers().firstValue("Content-Range").orElse("");
        String want = "bytes " + from + "-" + (size - 1) + "/" + size;
        if (!range.equals(want)) {
          throw new IOException("answered Content-Range \"" + range + "\" to bytes=" + from + "-; expected " + want);
        }
        resumed = true;
      } else if (a.status() == 200) {
        restart(); // a whole object where a range was asked: start over
        long length = a.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (length >= 0 && length != size) {
          throw new IOException("offers " + length + " bytes but " + digest + " has " + size
              + " (a different object, or the expected size is wrong)");
        }
      } else if (a.status() == 416 && from > 0) {
        restart();
        throw new IOException("416 to bytes=" + from + "-: its copy is shorter than the bytes held; starting over");
      } else {
        throw transport.unexpected(a, true);
      }
      lastResumedOnto = resumed;
      receive(a, master, options);
    }
  }

  private void receive(Transport.Answer a, URI master, MasterOptions options) throws IOException {
    for (List<ByteBuffer> chunk; (chunk = a.body().next(options.stallTimeout())) != null; ) {
      for (ByteBuffer buf : chunk) {
        int n = buf.remaining();
        received += n;
        listener.received(master, n);
        if (have + n > size) {
          restart();
          throw new IOException("sent more than the " + size + " bytes of " + digest);
        }
        sha256.update(buf.duplicate());
        write(master, buf);
      }
    }
    if (have < size) {
      throw new EOFException("the body ended after " + have + " of " + size + " bytes");
    }
    Digest actual = finish();
    if (!actual.equals(digest)) {
      restart();
      throw new DigestMismatchException("object from " + master, digest, actual);
    }
  }

  /** The digest of the bytes held; leaves the running hash usable. */
  private Digest finish() throws IOException {
    try {
      return Digest.ofBytes(((MessageDigest) sha256.clone()).digest());
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
    }
  }

  private void write(URI master, ByteBuffer buf) throws IOException {
    try {
      sources.add(master);
      while (buf.hasRemaining()) {
        int n = file.write(buf, have);
        have += n;
        listener.held(n);
      }
    } catch (IOException e) {
      throw new Failover.LocalFailure("writing the download of " + digest + " failed", e);
    }
  }

  private void restart() throws IOException {
    try {
      file.truncate(0);
    } catch (IOException e) {
      throw new Failover.LocalFailure("emptying the download of " + digest + " failed", e);
    }
    sha256.reset();
    listener.held(-have);
    have = 0;
    resumed = false;
    sources.clear();
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
