package io.tidegate.stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * How far behind the end of each partition the live feed reads: {@code tidegate.feed.lag} tagged with topic
 * and partition, one gauge for each partition the feed reads now. A partition it no longer reads (its topic
 * unsubscribed, or the consumer closed) loses its gauge, so the series are bounded by what is read. Updated
 * on the feed's thread; read by scrapes on theirs.
 */
final class FeedLag {
  private final MeterRegistry registry;
  private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();

  FeedLag(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Asks the consumer for each partition's lag (from what it fetched: no request); returns the sum. */
  long update(Consumer<byte[], byte[]> consumer, Set<TopicPartition> reading) {
    long sum = 0;
    for (TopicPartition tp : reading) {
      OptionalLong l = consumer.currentLag(tp);
      long lag = l.isPresent() ? l.getAsLong() : 0;
      partitions.computeIfAbsent(tp, this::register).lag = lag;
      sum += lag;
    }
    partitions.keySet().removeIf(tp -> {
      if (reading.contains(tp)) {
        return false;
      }
      registry.remove(partitions.get(tp).gauge);
      return true;
    });
    return sum;
  }

  /** Nothing is read any more: no gauge is left. */
  void clear() {
    partitions.values().forEach(p -> registry.remove(p.gauge));
    partitions.clear();
  }

  int size() {
    return partitions.size();
  }

  private Partition register(TopicPartition tp) {
    Partition p = new Partition();
    p.gauge = Gauge.builder("tidegate.feed.lag", p, x -> x.lag)
        .tags("topic", tp.topic(), "partition", String.valueOf(tp.partition()))
        .description("Records the live feed is behind the end of the partition (sum them for the feed's total)")
        .strongReference(true).register(registry);
    return p;
  }

  private static final class Partition {
    volatile long lag;
    Gauge gauge;
  }
}
