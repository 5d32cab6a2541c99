package io.tidegate.ops;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;
import java.util.Set;

/**
 * Latency timers Prometheus can take percentiles of ({@code histogram_quantile} over {@code _bucket}): a
 * fixed set of buckets each (the same for every timer here, from 1 ms to 30 s), so a series count stays
 * bounded and the dashboards and alerts can name the bucket bounds.
 */
final class Histograms implements MeterFilter {
  /** Timers that get buckets; the delivery latency has its own (a percentile histogram, set where it is made). */
  static final Set<String> TIMERS = Set.of(
      "tidegate.publish.ack",
      "tidegate.eventloop.delay",
      "vertx.http.server.response.time");

  private static final double[] BUCKETS_NANOS = nanos(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000);

  private Histograms() {}

  static void configure(MeterRegistry registry) {
    registry.config().meterFilter(new Histograms());
  }

  @Override
  public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
    if (id.getType() != Meter.Type.TIMER || !TIMERS.contains(id.getName())) {
      return config;
    }
    return DistributionStatisticConfig.builder().serviceLevelObjectives(BUCKETS_NANOS).build().merge(config);
  }

  private static double[] nanos(long... millis) {
    double[] n = new double[millis.length];
    for (int i = 0; i < millis.length; i++) {
      n[i] = Duration.ofMillis(millis[i]).toNanos();
    }
    return n;
  }
}
