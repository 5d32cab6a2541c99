package io.tidegate.stream;

import io.tidegate.testing.Awaits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;

/** Fakes for the live feed's unit tests: a cluster of fake topics behind Kafka's MockConsumer, and a recording sink. */
final class FeedFakes {
  private FeedFakes() {}

  /**
   * What the fake cluster holds (partitions, log start and end per partition) and how its consumers misbehave.
   * Every consumer it hands out sees the same topics; the test adds records to the newest one.
   */
  static final class Cluster implements Supplier<Consumer<byte[], byte[]>> {
    final Map<String, Integer> partitions = new ConcurrentHashMap<>();
    final Map<TopicPartition, Long> begin = new ConcurrentHashMap<>();
    final Map<TopicPartition, Long> end = new ConcurrentHashMap<>();
    /** Topics whose metadata look-up fails. */
    final Set<String> metadataFails = ConcurrentHashMap.newKeySet();
    /** Partitions whose next position look-up is interrupted by a wakeup (once each). */
    final Set<TopicPartition> wakeOnPosition = ConcurrentHashMap.newKeySet();
    /** While set, every poll of every consumer throws it. */
    volatile RuntimeException pollFailure;
    final List<Flaky> created = new CopyOnWriteArrayList<>();

    void topic(String topic, int n, long beginOffset, long endOffset) {
      partitions.put(topic, n);
      for (int p = 0; p < n; p++) {
        begin.put(new TopicPartition(topic, p), beginOffset);
        end.put(new TopicPartition(topic, p), endOffset);
      }
      created.forEach(this::update);
    }

    @Override
    public Consumer<byte[], byte[]> get() {
      Flaky c = new Flaky(this);
      update(c);
      created.add(c);
      return c;
    }

    private void update(Flaky c) {
      partitions.forEach((topic, n) -> {
        List<PartitionInfo> infos = new ArrayList<>();
        for (int p = 0; p < n; p++) {
          infos.add(new PartitionInfo(topic, p, null, null, null));
        }
        c.updatePartitions(topic, infos);
      });
      c.updateBeginningOffsets(new HashMap<>(begin));
      c.updateEndOffsets(new HashMap<>(end));
    }

    Flaky newest() {
      return created.get(created.size() - 1);
    }

    /** Adds records [from, to) of the partition to the newest open consumer, once it has the partition assigned. */
    void records(TopicPartition tp, long from, long to) {
      Awaits.until(tp + " is assigned to an open consumer", Duration.ofSeconds(30), () -> {
        Flaky c = newest();
        synchronized (c) { // MockConsumer's monitor: no poll sees half of them, no close comes between
          if (c.closed() || !c.assignment().contains(tp)) {
            return false;
          }
          for (long o = from; o < to; o++) {
            c.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), o, null,
                ("v" + o).getBytes(StandardCharsets.UTF_8)));
          }
          return true;
        }
      });
    }
  }

  /** Kafka's MockConsumer with the failures a real consumer has: metadata time-outs, wakeups, failing polls. */
  static final class Flaky extends MockConsumer<byte[], byte[]> {
    private final Cluster cluster;

    Flaky(Cluster cluster) {
      super("none");
      this.cluster = cluster;
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
      if (cluster.metadataFails.contains(topic)) {
        throw new TimeoutException("Timeout expired while fetching topic metadata");
      }
      return super.partitionsFor(topic, timeout);
    }

    @Override
    public synchronized long position(TopicPartition tp, Duration timeout) {
      if (cluster.wakeOnPosition.remove(tp)) {
        throw new WakeupException();
      }
      return super.position(tp, timeout);
    }

    @Override
    public synchronized ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
      RuntimeException failure = cluster.pollFailure;
      if (failure != null) {
        throw failure;
      }
      return super.poll(timeout);
    }
  }

  /** A sink that writes down everything the feed tells it, as lines such as {@code started t-0@5} or {@code record t-0@7}. */
  static class Recording implements LiveFeed.Sink {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void partitionStarted(TopicPartition tp, long offset) {
      events.add("started " + tp + "@" + offset);
    }

    @Override
    public void partitionsStopped(Set<TopicPartition> tps) {
      tps.forEach(tp -> events.add("stopped " + tp));
    }

    @Override
    public void partitionReset(TopicPartition tp, long requested, long offset) {
      events.add("reset " + tp + " " + requested + "->" + offset);
    }

    @Override
    public void records(List<FeedRecord> batch, Runnable taken) {
      batch.forEach(r -> events.add("record " + r.topic() + "-" + r.partition() + "@" + r.offset()));
      taken.run();
    }

    List<String> matching(Predicate<String> p) {
      return events.stream().filter(p).toList();
    }

    List<String> records(TopicPartition tp) {
      return matching(e -> e.startsWith("record " + tp + "@"));
    }

    void await(String event) {
      Awaits.until("the sink hears '" + event + "' (has " + events + ")", Duration.ofSeconds(30),
          () -> events.contains(event));
    }

    /** Waits until the partition's records up to {@code to} (exclusive) have arrived. */
    void awaitRecordsUpTo(TopicPartition tp, long to) {
      await("record " + tp + "@" + (to - 1));
    }
  }

  /** The offsets in "record tp@offset" lines. */
  static List<Long> offsets(List<String> recordEvents) {
    return recordEvents.stream().map(e -> Long.parseLong(e.substring(e.lastIndexOf('@') + 1))).toList();
  }

  static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long o = from; o < to; o++) {
      out.add(o);
    }
    return out;
  }
}
