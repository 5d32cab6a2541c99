package io.tidegate.stream.group;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/** The frames a group member's client is sent, besides its records and errors. */
final class GroupFrames {
  private GroupFrames() {}

  /** The member joined: {@code {"type":"subscribed","id","topics","group"}}. */
  static JsonObject subscribed(String id, List<String> topics, String group) {
    return new JsonObject().put("type", "subscribed").put("id", id).put("topics", new JsonArray(topics))
        .put("group", group);
  }

  /** {@code {"type":"assigned"|"revoked","group","partitions":{"orders":[0,2]}}}, partitions in order. */
  static JsonObject partitions(String type, String group, Collection<TopicPartition> partitions) {
    JsonObject byTopic = new JsonObject();
    List<TopicPartition> sorted = new ArrayList<>(partitions);
    sorted.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    for (TopicPartition tp : sorted) {
      JsonArray list = byTopic.getJsonArray(tp.topic());
      if (list == null) {
        list = new JsonArray();
        byTopic.put(tp.topic(), list);
      }
      list.add(tp.partition());
    }
    return new JsonObject().put("type", type).put("group", group).put("partitions", byTopic);
  }

  static JsonObject committed(String id, String topic, int partition, long offset) {
    return new JsonObject().put("type", "committed").put("id", id).put("topic", topic).put("partition", partition)
        .put("offset", offset);
  }
}
