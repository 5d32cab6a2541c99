package io.tidegate.stream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Which partitions the live feed reads and the next offset it reads on each: the feed's own record, kept
 * across consumers, so that a replaced consumer resumes exactly where the last one stood. Used on the feed's
 * thread only.
 *
 * <p>Every step is idempotent, so a wakeup or a failure anywhere leaves a state the next attempt completes:
 * a partition's start (its end for a topic newly wanted, its beginning for a partition added to a topic
 * already read, the log start after an out-of-range position) is decided once, when the partition first
 * appears, and kept until the partition is positioned. A topic whose metadata cannot be had keeps what it has.
 * Partitions not positioned yet are paused, so no record of theirs is read before they are announced.
 */
final class FeedPositions {
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
  /** Short: while one partition's start cannot be had (its leader is down), the others wait for this at most. */
  private static final Duration POSITION_TIMEOUT = Duration.ofSeconds(2);

  /** What the feed tells its sinks. */
  interface Listener {
    void started(TopicPartition tp, long offset);

    void stopped(Set<TopicPartition> tps);

    void reset(TopicPartition tp, long requested, long offset);
  }

  /** How a partition not positioned yet starts: at its end, at its beginning, or at the log start after a reset. */
  private record Start(boolean beginning, long resetFrom) {}

  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private final Map<TopicPartition, Start> pending = new HashMap<>();
  /** Partitions the current consumer was told where to read. */
  private final Set<TopicPartition> seeked = new HashSet<>();
  /** Hears of a topic's metadata or a partition's start that could not be had this time (the rest goes on). */
  private final FeedHealth health;

  FeedPositions(FeedHealth health) {
    this.health = health;
  }

  /** Every partition the feed reads or is about to. */
  Set<TopicPartition> assigned() {
    Set<TopicPartition> all = new HashSet<>(positions.keySet());
    all.addAll(pending.keySet());
    return all;
  }

  /** Partitions assigned but not announced yet: keep them paused. */
  Set<TopicPartition> pending() {
    return pending.keySet();
  }

  Map<TopicPartition, Long> positions() {
    return positions;
  }

  /** A new consumer knows nothing: every partition is sought again at the next {@link #reassign}. */
  void newConsumer() {
    seeked.clear();
  }

  /** Forgets everything (no topic is wanted any more); returns what was read. */
  Set<TopicPartition> clear() {
    Set<TopicPartition> all = assigned();
    positions.clear();
    pending.clear();
    seeked.clear();
    return all;
  }

  /**
   * Assigns exactly the partitions of the wanted topics and positions the new ones. Returns false when a
   * topic's metadata or a partition's start could not be had (retry soon).
   */
  boolean reassign(Consumer<byte[], byte[]> consumer, Set<String> topics, Listener listener) {
    Set<TopicPartition> before = assigned();
    Set<String> known = new HashSet<>();
    before.forEach(tp -> known.add(tp.topic()));
    Set<TopicPartition> target = new HashSet<>();
    boolean complete = true;
    for (String topic : topics) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
      } catch (WakeupException e) {
        throw e;
      } catch (RuntimeException e) {
        // keep what the topic has: dropping and re-adding it would restart it at its end (a silent gap)
        before.stream().filter(tp -> tp.topic().equals(topic)).forEach(target::add);
        health.partial("metadata", e);
        complete = false;
        continue;
      }
      if (infos != null) {
        infos.forEach(i -> target.add(new TopicPartition(topic, i.partition())));
      }
    }
    Set<TopicPartition> removed = new HashSet<>(before);
    removed.removeAll(target);
    for (TopicPartition tp : target) {
      if (!before.contains(tp)) {
        // decided once: a retry after a wakeup must not take a half-started topic for one already read
        pending.put(tp, new Start(known.contains(tp.topic()), -1));
      }
    }
    removed.forEach(tp -> {
      positions.remove(tp);
      pending.remove(tp);
      seeked.remove(tp);
    });
    if (!removed.isEmpty()) {
      listener.stopped(removed);
    }
    if (!consumer.assignment().equals(target)) {
      consumer.assign(target);
    }
    positions.forEach((tp, offset) -> {
      if (seeked.add(tp)) {
        consumer.seek(tp, offset);
      }
    });
    return resolve(consumer, POSITION_TIMEOUT, listener) && complete;
  }

  /** Positions the pending partitions; those whose start cannot be had in time stay pending. */
  boolean resolve(Consumer<byte[], byte[]> consumer, Duration timeout, Listener listener) {
    if (pending.isEmpty()) {
      return true;
    }
    List<TopicPartition> toBeginning = new ArrayList<>();
    List<TopicPartition> toEnd = new ArrayList<>();
    pending.forEach((tp, start) -> {
      if (seeked.add(tp)) {
        (start.beginning() ? toBeginning : toEnd).add(tp);
      }
    });
    // an empty list would mean "every assigned partition" to Kafka
    if (!toBeginning.isEmpty()) {
      consumer.seekToBeginning(toBeginning);
    }
    if (!toEnd.isEmpty()) {
      consumer.seekToEnd(toEnd);
    }
    for (TopicPartition tp : new ArrayList<>(pending.keySet())) {
      long offset;
      try {
        offset = consumer.position(tp, timeout);
      } catch (TimeoutException e) {
        health.partial("position", e);
        return false;
      }
      Start start = pending.remove(tp);
      positions.put(tp, offset);
      if (start.resetFrom() >= 0) {
        listener.reset(tp, start.resetFrom(), offset);
      } else {
        listener.started(tp, offset);
      }
    }
    return true;
  }

  /** The log no longer holds these positions: they restart at the log start, announced as resets. */
  void outOfRange(Map<TopicPartition, Long> requested) {
    requested.forEach((tp, offset) -> {
      if (positions.remove(tp) != null || pending.containsKey(tp)) {
        seeked.remove(tp);
        pending.put(tp, new Start(true, offset));
      }
    });
  }

  /** The records were handed to the sinks: the feed reads on after them. */
  void advance(ConsumerRecords<byte[], byte[]> polled) {
    for (TopicPartition tp : polled.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> records = polled.records(tp);
      if (positions.containsKey(tp) && !records.isEmpty()) {
        positions.put(tp, records.get(records.size() - 1).offset() + 1);
      }
    }
  }
}
