package io.tidegate.kafka;

/** What publishing needs to know of a topic. */
public record TopicInfo(String name, int partitions) {}
