package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the live feed reads what it should, and its failures by cause. An empty poll says nothing (Kafka's
 * consumer returns one when the broker is gone, too): progress is a poll with records, a fetch answered by
 * the broker (the consumer's own {@code fetch-total} metric moves), a batch being delivered, or nothing to
 * read (no topic, or every partition paused for congestion). The feed is down after {@code 3} failures in a
 * row, or when it has made no progress for {@code staleMs} while it should.
 */
final class FeedHealth {
  private static final Logger LOG = LoggerFactory.getLogger(FeedHealth.class);
  private static final int FAILURES_DOWN = 3;
  private static final long LAG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final long staleNanos;
  private final MeterRegistry registry;
  private final Map<String, Counter> failures = new ConcurrentHashMap<>();
  private volatile long progressAt = System.nanoTime();
  private volatile int failuresInARow;
  /** The last failure's cause and kind, e.g. {@code metadata: TimeoutException}; its message goes to the log only. */
  private volatile String lastError;
  private volatile Throwable dead;
  private volatile long lag;
  private final FeedLag partitionLag;
  private long lagAt;
  private Metric fetches;
  private double lastFetches;

  FeedHealth(MeterRegistry registry, long staleMs) {
    this.registry = registry;
    this.staleNanos = TimeUnit.MILLISECONDS.toNanos(staleMs);
    this.partitionLag = new FeedLag(registry);
  }

  boolean isUp() {
    return dead == null && failuresInARow < FAILURES_DOWN && System.nanoTime() - progressAt < staleNanos;
  }

  JsonObject status() {
    JsonObject s = new JsonObject()
        .put("msSinceProgress", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - progressAt))
        .put("failuresInARow", failuresInARow).put("lag", lag);
    if (lastError != null) {
      s.put("lastError", lastError);
    }
    return dead != null ? s.put("stopped", dead.toString()) : s;
  }

  long lag() {
    return lag;
  }

  /** Nothing to read, or busy delivering: not stuck. */
  void alive() {
    progressAt = System.nanoTime();
  }

  void newConsumer(Consumer<byte[], byte[]> consumer) {
    fetches = null;
    if (consumer == null) {
      partitionLag.clear(); // a new consumer, if any, reports again within a second of its first poll
    }
    if (consumer != null) {
      for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
        if (e.getKey().name().equals("fetch-total") && e.getKey().group().equals("consumer-fetch-manager-metrics")
            && !e.getKey().tags().containsKey("topic")) {
          fetches = e.getValue();
          lastFetches = value(fetches);
        }
      }
    }
  }

  /** A poll returned (with {@code records} records). */
  void polled(Consumer<byte[], byte[]> consumer, int records, Set<TopicPartition> reading, boolean allPaused) {
    failuresInARow = 0;
    double f = fetches == null ? Double.NaN : value(fetches);
    if (records > 0 || allPaused || fetches == null || f > lastFetches) {
      progressAt = System.nanoTime();
    }
    lastFetches = f;
    long now = System.nanoTime();
    if (now - lagAt > LAG_EVERY_NANOS) {
      lagAt = now;
      lag = partitionLag.update(consumer, reading);
    }
  }

  /** Counts a failure by cause; returns how many cycles in a row failed. */
  int failed(String cause, RuntimeException e) {
    failure(cause).increment();
    lastError = cause;
    return ++failuresInARow;
  }

  /** A failure that leaves the rest of the feed reading (one topic's metadata, one partition's start). */
  void partial(String cause, RuntimeException e) {
    failure(cause).increment();
    lastError = cause + ": " + e.getClass().getSimpleName();
    LOG.warn("The live feed could not get the {} it needs: {}; retrying", cause, e.toString());
  }

  void dead(Throwable t) {
    dead = t;
  }

  private Counter failure(String cause) {
    return failures.computeIfAbsent(cause, c -> Counter.builder("tidegate.feed.failures").tag("cause", c)
        .description("Failures of the live feed (it retries, and replaces its consumer when needed)").register(registry));
  }

  private static double value(Metric m) {
    return m.metricValue() instanceof Number n ? n.doubleValue() : Double.NaN;
  }
}
