package io.tidegate.stream;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The topics the live feed reads: how many subscribers want each, and those kept a while after their last
 * subscriber left. A topic that lingers is still read (its partitions paused, as nobody can take records), so
 * that the loops' {@link FeedTail}s keep its recent records for the clients that come back: after a dropped
 * connection, a rolled load balancer or a reconnect storm, they catch up from memory, not from Kafka.
 * Thread-safe: every event loop calls it, and the feed's thread reads it.
 */
final class FeedTopics {
  /** Subscribers per topic read; 0 for a topic that lingers. */
  private final Map<String, Integer> wanted = new ConcurrentHashMap<>();
  /** Topics with no subscriber left, and when they stop being read (epoch ms). */
  private final Map<String, Long> lingering = new ConcurrentHashMap<>();
  private final long lingerMs;

  FeedTopics(long lingerMs, MeterRegistry registry) {
    this.lingerMs = lingerMs;
    Gauge.builder("tidegate.feed.topics", this, FeedTopics::size)
        .description("Topics the live feed reads (lingering ones too)").register(registry);
  }

  /** One more subscriber; true when the topic was not read before (the feed must start reading it). */
  boolean want(String topic) {
    boolean[] added = new boolean[1];
    wanted.compute(topic, (t, n) -> {
      added[0] = n == null;
      return n == null ? 1 : n + 1;
    });
    return added[0];
  }

  /** One subscriber less; true when the topic is no longer read (no linger). After the last, it lingers. */
  boolean unwant(String topic, long now) {
    Integer left = wanted.computeIfPresent(topic, (t, n) -> {
      if (n > 1) {
        return n - 1;
      }
      return lingerMs > 0 ? Integer.valueOf(0) : null; // boxed: a ternary with an int arm would unbox the null
    });
    if (left != null && left == 0) {
      lingering.put(topic, now + lingerMs);
    }
    return left == null;
  }

  /** Stops reading the topics whose linger is over and that nobody wanted meanwhile; true when any stopped. */
  boolean expire(long now) {
    boolean any = false;
    for (Map.Entry<String, Long> e : lingering.entrySet()) {
      if (now >= e.getValue() && lingering.remove(e.getKey(), e.getValue()) && wanted.remove(e.getKey(), 0)) {
        any = true;
      }
    }
    return any;
  }

  boolean isEmpty() {
    return wanted.isEmpty();
  }

  int size() {
    return wanted.size();
  }

  Set<String> snapshot() {
    return Set.copyOf(wanted.keySet());
  }
}
