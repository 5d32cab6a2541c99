package io.tidegate.stream.group;

import io.tidegate.codec.RecordFilter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * What a group member's filters (the client's own and the one its identity forces) kept from the client, per
 * partition. A member commits only records it received, so records its filter skipped after the last one it
 * received would stay uncommitted for ever (the group's lag never reaching 0, every rejoin reading them again);
 * a commit of the last record received therefore also covers the records skipped after it. Lives on the client's
 * context; one entry per partition the member was handed records of, forgotten when the partition goes.
 */
final class SkippedTails {
  /** Per partition: the offset of the last record sent to the client (-1: none yet), the offset after the last handed out. */
  private final Map<TopicPartition, long[]> tails = new HashMap<>();

  /** The records of a batch that pass their topic's filter (a topic without one passes nothing); notes the rest. */
  List<ConsumerRecord<byte[], byte[]>> sift(List<ConsumerRecord<byte[], byte[]>> batch, Map<String, RecordFilter> filters) {
    List<ConsumerRecord<byte[], byte[]>> matching = new ArrayList<>(batch.size());
    for (ConsumerRecord<byte[], byte[]> r : batch) {
      RecordFilter f = filters.get(r.topic());
      boolean sent = f != null && f.matches(r);
      if (sent) {
        matching.add(r);
      }
      long[] t = tails.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), tp -> new long[] {-1, 0});
      if (sent) {
        t[0] = r.offset();
      }
      t[1] = Math.max(t[1], r.offset() + 1);
    }
    return matching;
  }

  /** The partitions went to another member, or came back: nothing known of them carries over. */
  void forget(Collection<TopicPartition> partitions) {
    partitions.forEach(tails::remove);
  }

  /**
   * What to commit when the client commits {@code offset}: the same offset, or, when it is the last record the
   * client received of the partition, the last record handed out after it (all skipped by the filter).
   */
  long through(TopicPartition tp, long offset) {
    long[] t = tails.get(tp);
    return t != null && t[0] == offset && t[1] - 1 > offset ? t[1] - 1 : offset;
  }
}
