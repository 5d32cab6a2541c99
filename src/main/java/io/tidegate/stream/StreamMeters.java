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
  private final Counter pastFromTail;
  private final Counter pastFromKafka;
  private final LongAdder tailBytes = new LongAdder();

  public StreamMeters(MeterRegistry registry) {
    this.ws = new Transport("ws", registry);
    this.sse = new Transport("sse", registry);
    this.pastFromTail = pastRecords("tail", registry);
    this.pastFromKafka = pastRecords("kafka", registry);
    Gauge.builder("tidegate.stream.tail.bytes", tailBytes, LongAdder::sum).baseUnit("bytes")
        .description("Recent live records kept by the event loops for catch-ups (estimated; ws.tailBytes per loop)")
        .register(registry);
  }

  private static Counter pastRecords(String source, MeterRegistry registry) {
    return Counter.builder("tidegate.stream.catchup.records").tag("source", source)
        .description("Records of the past delivered to catching-up subscriptions, from the loops' tails or from Kafka")
        .register(registry);
  }

  /** Records of the past delivered from a loop's tail. */
  Counter pastFromTail() {
    return pastFromTail;
  }

  /** Records of the past delivered from Kafka reads. */
  Counter pastFromKafka() {
    return pastFromKafka;
  }

  /** The estimated bytes of every loop's tail. */
  LongAdder tailBytes() {
    return tailBytes;
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
