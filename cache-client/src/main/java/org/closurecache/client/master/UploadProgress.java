package org.closurecache.client.master;

import java.net.http.HttpRequest.BodyPublisher;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;

/**
 * A request body that records when its last chunk went out, so {@link Transport} can tell a slow
 * but moving upload (fine, however long it takes) from a stalled one (given up after the stall
 * limit) instead of capping uploads at a fixed request timeout. Written by the HTTP client's
 * threads, read by the caller's: the fields are volatile.
 */
final class UploadProgress implements BodyPublisher {
  private final BodyPublisher delegate;
  private volatile long lastNanos = System.nanoTime();
  private volatile boolean done;

  UploadProgress(BodyPublisher delegate) {
    this.delegate = delegate;
  }

  long lastNanos() {
    return lastNanos;
  }

  /** True once the whole body was handed to the connection: from then on the master is working on it. */
  boolean done() {
    return done;
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
    done = false; // the client subscribes again if it resends the body
    lastNanos = System.nanoTime();
    delegate.subscribe(new Flow.Subscriber<ByteBuffer>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        subscriber.onSubscribe(s);
      }

      @Override
      public void onNext(ByteBuffer item) {
        lastNanos = System.nanoTime();
        subscriber.onNext(item);
      }

      @Override
      public void onError(Throwable t) {
        subscriber.onError(t);
      }

      @Override
      public void onComplete() {
        lastNanos = System.nanoTime();
        done = true;
        subscriber.onComplete();
      }
    });
  }
}
