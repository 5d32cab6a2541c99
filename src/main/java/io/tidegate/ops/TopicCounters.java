package io.tidegate.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One Micrometer counter per topic under one meter name (tag {@code topic}), looked up once per topic and
 * cached. Thread-safe: the producer's I/O thread and the live feed's thread increment them.
 */
public final class TopicCounters {
  /** Records of a topic that Kafka acknowledged to the gateway (HTTP and WebSocket publish alike). */
  public static final String PUBLISHED = "tidegate.topic.records.published";
  /** Records of a topic the live feed read from Kafka (once per record, however many sockets want it). */
  public static final String READ = "tidegate.topic.records.read";

  private final MeterRegistry registry;
  private final String name;
  private final String description;
  private final Map<String, Counter> byTopic = new ConcurrentHashMap<>();

  public TopicCounters(MeterRegistry registry, String name, String description) {
    this.registry = registry;
    this.name = name;
    this.description = description;
  }

  public Counter of(String topic) {
    Counter c = byTopic.get(topic);
    return c != null ? c : byTopic.computeIfAbsent(topic,
        t -> Counter.builder(name).tag("topic", t).description(description).register(registry));
  }

  /** The totals of every topic counted under {@code name} in the registry, by topic name. */
  public static Map<String, Long> totals(MeterRegistry registry, String name) {
    Map<String, Long> out = new TreeMap<>();
    registry.find(name).counters().forEach(c -> {
      String topic = c.getId().getTag("topic");
      if (topic != null) {
        out.merge(topic, (long) c.count(), Long::sum);
      }
    });
    return out;
  }
}
