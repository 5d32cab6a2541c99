package io.tidegate.bench;

import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Counts and latency of one benchmark phase; thread-safe recording, read once at the end. */
final class Stats {
  private final Recorder latency = new Recorder(3);
  private final java.util.concurrent.atomic.LongAdder records = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder errors = new java.util.concurrent.atomic.LongAdder();
  private Histogram result;

  void ok(long records, long latencyNanos) {
    this.records.add(records);
    latency.recordValue(Math.max(1, latencyNanos / 1000));
  }

  void error() {
    errors.increment();
  }

  /** Discards what was recorded so far (the warm-up). */
  void reset() {
    records.reset();
    errors.reset();
    latency.getIntervalHistogram();
  }

  Stats freeze() {
    result = latency.getIntervalHistogram();
    return this;
  }

  long records() {
    return records.sum();
  }

  long errors() {
    return errors.sum();
  }

  double p(double percentile) {
    return result.getValueAtPercentile(percentile) / 1000.0;
  }

  String line(String name, double seconds, double baselineRate, String extra) {
    double rate = records() / seconds;
    return String.format(Locale.ROOT, "%-44s %12.0f %8.2f %8.2f %8.2f %8d %8.1f%%  %s", name, rate, p(50), p(99), p(99.9),
        errors(), baselineRate > 0 ? 100.0 * rate / baselineRate : 100.0, extra);
  }

  static String header() {
    return String.format(Locale.ROOT, "%-44s %12s %8s %8s %8s %8s %9s  %s", "phase", "records/s", "p50 ms", "p99 ms",
        "p99.9 ms", "errors", "of plain", "gateway cpu / heap");
  }
}
