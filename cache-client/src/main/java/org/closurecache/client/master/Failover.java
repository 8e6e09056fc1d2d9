package org.closurecache.client.master;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one call against the masters in {@link MasterHealth#order()}, up to {@code attempts} rounds.
 *
 * <p>Each round asks every master once, in the order computed at the start of the round. An
 * attempt ends one of four ways: a value (the master is marked up and the value returned); a
 * {@link MasterRefusedException} or {@link LocalFailure} (thrown at once: another master would refuse the same request);
 * {@link NotHere} (a 404: the master is healthy, it just lacks the thing, so it is not marked down
 * and the next one is asked); any other {@link IOException} (the master is marked down, the
 * failure is recorded and the next one is asked). A round in which every master answered 404 ends
 * the call with {@link NotHere}; running out of rounds ends it with
 * {@link MastersUnavailableException} listing every failure. An interrupt stops the call at once.
 * Stateless apart from the shared {@link MasterHealth}; thread-safe.
 */
final class Failover {
  /** A 404 from one master: retrying elsewhere may help, retrying it will not. */
  static final class NotHere extends IOException {
    NotHere(String message) {
      super(message);
    }
  }

  /** A local failure (writing the target file): no master can fix it, so the call stops. */
  static final class LocalFailure extends IOException {
    LocalFailure(String message, IOException cause) {
      super(message + ": " + cause.getMessage(), cause);
    }
  }

  interface Attempt<T> {
    T run(URI master) throws IOException;
  }

  private final MasterHealth health;
  private final int attempts;

  Failover(MasterHealth health, int attempts) {
    this.health = health;
    this.attempts = attempts;
  }

  /** {@code master} was found to have sent bad bytes after its attempt had ended: marked down like a failure. */
  void blame(URI master) {
    health.markDown(master);
  }

  <T> T run(String what, Attempt<T> attempt) throws IOException {
    List<String> failures = new ArrayList<>();
    boolean rejectedOnly = true; // every failure a document this node refused, none a transport one
    for (int round = 1; round <= attempts; round++) {
      List<URI> order = health.order();
      int notHere = 0;
      for (URI master : order) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException(what + " was interrupted");
        }
        try {
          T value = attempt.run(master);
          health.markUp(master);
          return value;
        } catch (MasterRefusedException | LocalFailure e) {
          throw e;
        } catch (NotHere e) {
          notHere++;
          failures.add(master + ": " + e.getMessage());
        } catch (IOException e) {
          if (Thread.currentThread().isInterrupted()) {
            InterruptedIOException stop = new InterruptedIOException(what + " was interrupted");
            stop.initCause(e);
            throw stop;
          }
          health.markDown(master);
          failures.add(master + ": " + describe(e));
          rejectedOnly &= e instanceof DocumentRejectedException || e instanceof NotAMasterException;
        }
      }
      if (notHere == order.size()) {
        throw new NotHere(what + ": not found on any master (" + String.join(", ", order.stream().map(URI::toString)
            .toList()) + ")");
      }
    }
    throw new MastersUnavailableException(what, failures, rejectedOnly);
  }

  /** One line naming the kind of failure; bare JDK messages ("null", "") and exception names say too little. */
  static String describe(IOException e) {
    if (e instanceof ConnectException c) {
      // the JDK's messages add nothing ("Connection refused", or none) but exception names
      return c.getCause() instanceof java.nio.channels.UnresolvedAddressException ? "unknown host"
          : "connection refused or unreachable";
    }
    if (e instanceof java.net.UnknownHostException) {
      return "unknown host";
    }
    if (e instanceof java.net.http.HttpConnectTimeoutException || e instanceof java.net.SocketTimeoutException
        && String.valueOf(e.getMessage()).contains("connect")) {
      return "connect timed out";
    }
    if (e instanceof DocumentRejectedException || e instanceof NotAMasterException) {
      return e.getMessage();
    }
    String kind = e.getClass().getSimpleName();
    String msg = e.getMessage();
    if (msg == null || msg.isBlank()) {
      Throwable cause = e.getCause();
      msg = cause == null ? null : cause.toString();
    }
    return msg == null ? kind : kind + ": " + msg;
  }
}
