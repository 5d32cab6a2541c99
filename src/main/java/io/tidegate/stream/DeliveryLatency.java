package io.tidegate.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tidegate.ops.RecentLatency;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Where a live record's time goes, from its Kafka timestamp: to the feed's poll returning it
 * ({@code tidegate.feed.poll.latency}), to an event loop taking the batch ({@code tidegate.feed.dispatch.latency}),
 * and to the write on the client's socket completing ({@code tidegate.delivery.latency}, tagged {@code transport}
 * {@code ws} or {@code sse}). Percentile histograms with bounded buckets (1 ms to 60 s).
 *
 * <p>Sampled, so that measuring costs no allocation per delivery: the poll and dispatch stages record the oldest
 * record of each batch (once per batch, once per batch and event loop); the delivery stage records, for a pass
 * of live records (up to 16 frames to each client of a topic on an event loop), the last record's delivery to
 * the pass's first client and to one client in 16 after it, when the write completes. The
 * timestamps are the producers' clocks (or the broker's with LogAppendTime): skew between hosts shows here;
 * a negative span counts as zero.
 */
public final class DeliveryLatency {
  private final Timer polled;
  private final Timer dispatched;
  private final Timer ws;
  private final Timer sse;

  public DeliveryLatency(MeterRegistry registry) {
    polled = timer("tidegate.feed.poll.latency",
        "From a live record's timestamp to the feed's poll returning it (the oldest record of each batch)").register(registry);
    dispatched = timer("tidegate.feed.dispatch.latency",
        "From a live record's timestamp to an event loop taking its batch (the oldest record, per batch and loop)")
        .register(registry);
    ws = timer(RecentLatency.NAME,
        "From a live record's timestamp to its write to the client completing (sampled: one client in 16 per pass)")
        .tag("transport", "ws").register(registry);
    sse = timer(RecentLatency.NAME,
        "From a live record's timestamp to its write to the client completing (sampled: one client in 16 per pass)")
        .tag("transport", "sse").register(registry);
  }

  private static Timer.Builder timer(String name, String description) {
    return Timer.builder(name).description(description).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60));
  }

  /** The timer of a transport: {@code sse}, else {@code ws}. */
  public Timer delivery(String transport) {
    return "sse".equals(transport) ? sse : ws;
  }

  void polled(long timestamp) {
    record(polled, timestamp);
  }

  void dispatched(long timestamp) {
    record(dispatched, timestamp);
  }

  /** Records the span from a record timestamp (ms since the epoch) to now; none for a record without one. */
  static void record(Timer timer, long timestamp) {
    if (timestamp > 0) {
      timer.record(Math.max(0, System.currentTimeMillis() - timestamp), TimeUnit.MILLISECONDS);
    }
  }
}
