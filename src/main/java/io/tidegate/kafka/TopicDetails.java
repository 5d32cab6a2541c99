package io.tidegate.kafka;

import java.util.List;

/** A topic as {@code GET /topics/{topic}} describes it: each partition's brokers and offsets. */
public record TopicDetails(String name, boolean internal, List<Partition> partitions) {

  /**
   * @param leader      the leader's broker id; null while the partition has none
   * @param beginOffset null when Kafka did not say
   * @param endOffset   null when Kafka did not say
   */
  public record Partition(int partition, Integer leader, List<Integer> replicas, List<Integer> isr,
                          Long beginOffset, Long endOffset) {}
}
