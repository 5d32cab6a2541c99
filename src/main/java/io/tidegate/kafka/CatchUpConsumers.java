package io.tidegate.kafka;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;

/**
 * Catch-up consumers kept for the next catch-up read. Building a Kafka consumer, connecting it and closing it
 * again costs a few hundred milliseconds of a worker thread; when thousands of sockets come back at once (a
 * reconnect storm) that, not the reading, set the pace. A consumer given back is unassigned (which drops what
 * it had fetched) and kept, at most {@code maxIdle} of them; a surplus one is closed. Thread-safe: consumers
 * are taken and given back on worker threads, one thread per consumer at a time.
 */
public final class CatchUpConsumers {
  private final Supplier<Consumer<byte[], byte[]>> factory;
  private final int maxIdle;
  private final ConcurrentLinkedDeque<Consumer<byte[], byte[]>> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger idleCount = new AtomicInteger();
  private volatile boolean closed;

  public CatchUpConsumers(Supplier<Consumer<byte[], byte[]>> factory, int maxIdle) {
    this.factory = factory;
    this.maxIdle = maxIdle;
  }

  /** An idle consumer (nothing assigned), or a new one. Call on a worker thread: building one may block. */
  public Consumer<byte[], byte[]> take() {
    Consumer<byte[], byte[]> c = idle.pollFirst();
    if (c != null) {
      idleCount.decrementAndGet();
      return c;
    }
    return factory.get();
  }

  /** Gives a consumer back: unassigned and kept, or closed when enough are kept already. On a worker thread. */
  public void give(Consumer<byte[], byte[]> c) {
    try {
      c.assign(List.of());
    } catch (RuntimeException e) {
      shut(c);
      return;
    }
    if (closed || idleCount.incrementAndGet() > maxIdle) {
      if (!closed) {
        idleCount.decrementAndGet();
      }
      shut(c);
      return;
    }
    idle.addFirst(c);
    if (closed) {
      closeIdle(); // close() ran between the check and the add
    }
  }

  /** Consumers kept idle now. */
  public int idle() {
    return idleCount.get();
  }

  /** Closes the idle consumers; those given back later are closed at once. Off the event loop. */
  public void closeIdle() {
    closed = true;
    Consumer<byte[], byte[]> c;
    while ((c = idle.pollFirst()) != null) {
      idleCount.decrementAndGet();
      shut(c);
    }
  }

  private static void shut(Consumer<byte[], byte[]> c) {
    try {
      c.close(Duration.ofSeconds(1));
    } catch (RuntimeException e) {
      // closing is best effort: its connections go with it either way
    }
  }
}
