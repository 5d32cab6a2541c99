package io.tidegate.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Recent end-to-end delivery latency per transport for the dashboard: the median and 99th percentile of
 * {@value #NAME} (a timer tagged {@code transport}, with a histogram) over the last 15 to 30 seconds,
 * estimated from its buckets as Prometheus' {@code histogram_quantile} does. The timer's buckets count since
 * the start; the window is the difference from a copy kept a rotation ago. Before the timer exists, or for
 * a transport without one, there is nothing to say. Thread-safe (requests from every event loop).
 */
public final class RecentLatency {
  /** Record timestamp to the write to the client's connection, tag {@code transport}: {@code ws} or {@code sse}. */
  public static final String NAME = "tidegate.delivery.latency";
  static final long ROTATE_NANOS = TimeUnit.SECONDS.toNanos(15);

  private final MeterRegistry registry;
  private final LongSupplier nanoTime;
  /** Per transport, the buckets a rotation ago (the window's start) and at the last rotation. */
  private Map<String, Buckets> older = Map.of();
  private Map<String, Buckets> newer = Map.of();
  private long rotatedAt;

  public RecentLatency(MeterRegistry registry) {
    this(registry, System::nanoTime);
  }

  RecentLatency(MeterRegistry registry, LongSupplier nanoTime) {
    this.registry = registry;
    this.nanoTime = nanoTime;
    this.rotatedAt = nanoTime.getAsLong();
  }

  /**
   * {@code {"ws": {"count": n, "p50Ms": x, "p99Ms": y}, "sse": ...}}: deliveries in the window and their
   * percentiles in milliseconds (null when there was none); a transport without a timer is left out.
   */
  public synchronized JsonObject recent() {
    Map<String, Buckets> now = read();
    long t = nanoTime.getAsLong();
    if (t - rotatedAt >= ROTATE_NANOS) {
      older = newer;
      newer = now;
      rotatedAt = t;
    }
    JsonObject out = new JsonObject();
    now.forEach((transport, b) -> {
      Buckets window = b.minus(older.get(transport));
      out.put(transport, new JsonObject().put("count", window.count)
          .put("p50Ms", window.quantile(0.50)).put("p99Ms", window.quantile(0.99)));
    });
    return out;
  }

  private Map<String, Buckets> read() {
    Map<String, Buckets> by = new TreeMap<>();
    for (Timer timer : registry.find(NAME).timers()) {
      String transport = timer.getId().getTag("transport");
      if (transport != null) {
        by.merge(transport, Buckets.of(timer.takeSnapshot()), Buckets::plus);
      }
    }
    return by;
  }

  /** Cumulative counts at each bucket's upper bound (ms), and the count of all (past the last bound too). */
  record Buckets(double[] boundsMs, double[] cumulative, long count) {
    static Buckets of(HistogramSnapshot s) {
      CountAtBucket[] c = s.histogramCounts();
      double[] bounds = new double[c.length];
      double[] counts = new double[c.length];
      for (int i = 0; i < c.length; i++) {
        bounds[i] = c[i].bucket(TimeUnit.MILLISECONDS);
        counts[i] = c[i].count();
      }
      return new Buckets(bounds, counts, s.count());
    }

    Buckets plus(Buckets o) {
      return combine(o, 1);
    }

    Buckets minus(Buckets o) {
      return o == null ? this : combine(o, -1);
    }

    private Buckets combine(Buckets o, int sign) {
      if (o.cumulative.length != cumulative.length) {
        return this; // other buckets (the timer was made anew): nothing to combine with
      }
      double[] counts = new double[cumulative.length];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = Math.max(0, cumulative[i] + sign * o.cumulative[i]);
      }
      return new Buckets(boundsMs, counts, Math.max(0, count + sign * o.count));
    }

    /** As {@code histogram_quantile}: linear within the bucket the rank falls in; null with no count. */
    Double quantile(double q) {
      if (count == 0 || boundsMs.length == 0) {
        return null;
      }
      double rank = q * count;
      double lowerBound = 0;
      double lowerCount = 0;
      for (int i = 0; i < boundsMs.length; i++) {
        if (cumulative[i] >= rank) {
          double inBucket = cumulative[i] - lowerCount;
          double at = inBucket <= 0 ? boundsMs[i] : lowerBound + (boundsMs[i] - lowerBound) * (rank - lowerCount) / inBucket;
          return Math.round(at * 1000) / 1000.0;
        }
        lowerBound = boundsMs[i];
        lowerCount = cumulative[i];
      }
      return boundsMs[boundsMs.length - 1]; // past the last bound: at least that
    }
  }
}
