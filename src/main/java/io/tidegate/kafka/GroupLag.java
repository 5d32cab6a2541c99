package io.tidegate.kafka;

import java.util.List;

/** A consumer group as {@code GET /groups} shows it: its state, members, and committed offsets against the end. */
public record GroupLag(String group, String state, int members, long lag, List<Partition> partitions) {

  /** @param end the partition's end offset; null when Kafka did not say */
  public record Partition(String topic, int partition, long committed, Long end, long lag) {}
}
