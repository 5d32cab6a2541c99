package io.tidegate.kafka;

/** A topic as {@code GET /topics} lists it. */
public record TopicSummary(String name, int partitions, int replicationFactor) {}
