package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.LongAdder;

/**
 * The streaming meters kept per transport (tag {@code transport}: {@code ws} or {@code sse}): clients closed
 * for not taking their bytes ({@code tidegate.stream.closed.slow}), and the bytes handed to the transport that
 * clients have not taken yet, the sum of every client's {@link Budget} in use ({@code tidegate.stream.queued.bytes}).
 */
public final class StreamMeters {
  private final Transport ws;
  private final Transport sse;

  public StreamMeters(MeterRegistry registry) {
    this.ws = new Transport("ws", registry);
    this.sse = new Transport("sse", registry);
  }

  public Transport ws() {
    return ws;
  }

  public Transport sse() {
    return sse;
  }

  /** One transport's meters. Thread-safe: every event loop adds to them. */
  public static final class Transport {
    private final Counter slowClosed;
    private final LongAdder queuedBytes = new LongAdder();

    private Transport(String transport, MeterRegistry registry) {
      this.slowClosed = Counter.builder("tidegate.stream.closed.slow").tag("transport", transport)
          .description("Clients closed for taking nothing for ws.stallSeconds while their budget was full")
          .register(registry);
      Gauge.builder("tidegate.stream.queued.bytes", queuedBytes, q -> Math.max(0, q.sum())).tag("transport", transport)
          .baseUnit("bytes")
          .description("Bytes written to clients' connections that the clients have not taken yet (the byte budgets in use)")
          .register(registry);
    }

    public Counter slowClosed() {
      return slowClosed;
    }

    /** Added to when bytes are handed to a client's connection, taken from when their write completes. */
    LongAdder queuedBytes() {
      return queuedBytes;
    }
  }
}
