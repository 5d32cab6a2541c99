package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Which of the live feed's partitions are not fetched: those of topics whose every subscriber is congested
 * (the event loops report it, from any thread), and those not announced to the sinks yet. Pausing and
 * resuming are cheap, local calls of the consumer, made on the feed's thread.
 */
final class FeedPauses {
  /** Per topic, the sinks that have a subscriber able to take more records. */
  private final Map<String, Set<Object>> readySinks = new HashMap<>();
  /** Topics whose every subscriber is congested: their partitions are not fetched. */
  private final Set<String> pausedTopics = ConcurrentHashMap.newKeySet();
  private final AtomicInteger pausedPartitions = new AtomicInteger();
  private final Counter pauses;
  private final Runnable wakeup;
  private volatile boolean changed = true;

  FeedPauses(MeterRegistry registry, Runnable wakeup) {
    this.wakeup = wakeup;
    Gauge.builder("tidegate.feed.paused.partitions", pausedPartitions, AtomicInteger::get)
        .description("Partitions not fetched because every subscriber of them is congested").register(registry);
    pauses = Counter.builder("tidegate.feed.pauses")
        .description("Times a topic's fetch was paused because every subscriber of it was congested")
        .register(registry);
  }

  /**
   * A sink says whether it still has a subscriber of the topic that can take more records. While no sink
   * has one, the topic's partitions are paused (the consumer keeps fetching every other partition).
   */
  void congestion(String topic, Object sink, boolean congested) {
    boolean change;
    synchronized (readySinks) {
      Set<Object> ready = readySinks.computeIfAbsent(topic, t -> new HashSet<>());
      if (congested) {
        ready.remove(sink);
      } else {
        ready.add(sink);
      }
      boolean pause = ready.isEmpty();
      if (pause) {
        readySinks.remove(topic);
      }
      change = pause ? pausedTopics.add(topic) : pausedTopics.remove(topic);
      if (change && pause) {
        pauses.increment();
      }
    }
    if (change) {
      changed = true;
      wakeup.run();
    }
  }

  int pausedPartitions() {
    return pausedPartitions.get();
  }

  /** The assignment changed: apply the pauses again before the next poll. */
  void changed() {
    changed = true;
  }

  void cleared() {
    pausedPartitions.set(0);
    changed = true;
  }

  /** True when every one of these partitions is paused for congestion: the feed is not expected to read. */
  boolean allPaused(Set<TopicPartition> tps) {
    for (TopicPartition tp : tps) {
      if (!pausedTopics.contains(tp.topic())) {
        return false;
      }
    }
    return true;
  }

  /** Pauses the congested topics' partitions and those not announced yet, resumes the others. */
  void apply(Consumer<byte[], byte[]> consumer, Set<TopicPartition> assigned, Set<TopicPartition> pending) {
    if (!changed) {
      return;
    }
    changed = false;
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    int congested = 0;
    for (TopicPartition tp : assigned) {
      boolean forCongestion = pausedTopics.contains(tp.topic());
      congested += forCongestion ? 1 : 0;
      (forCongestion || pending.contains(tp) ? pause : resume).add(tp);
    }
    consumer.pause(pause);
    consumer.resume(resume);
    pausedPartitions.set(congested);
  }
}
