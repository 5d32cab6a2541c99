package io.tidegate.webhook;

import io.tidegate.kafka.AdminLane;
import io.tidegate.kafka.TopicService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.admin.OffsetSpec;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code GET /webhooks/{name}/status}: per partition the group's committed offset, the end and the lag (from Kafka,
 * so the same on every gateway) and their sum, this gateway's counts of delivered, failed and dead-lettered records
 * and its last error, and the redrive: the dead letters waiting for one (from Kafka) and this gateway's last one.
 */
final class WebhookStatus {
  private final TopicService topics;
  private final AdminLane lane;
  private final Deliveries deliveries;
  private final Redrives redrives;

  WebhookStatus(TopicService topics, AdminLane lane, Deliveries deliveries, Redrives redrives) {
    this.topics = topics;
    this.lane = lane;
    this.deliveries = deliveries;
    this.redrives = redrives;
  }

  Future<JsonObject> of(WebhookDefinition def) {
    Future<JsonArray> partitions = partitions(def.group(), def.topics());
    // dead letters not redriven yet: the dead-letter topic's end past what redrive committed (a topic that is gone
    // leaves the figure out)
    Future<Long> waiting = partitions(def.group() + ".redrive", List.of(def.deadLetterTopic())).map(WebhookStatus::lag)
        .otherwise((Long) null);
    return Future.all(partitions, waiting).map(x -> {
      WebhookMeters m = deliveries.meters(def.name());
      JsonObject out = new JsonObject().put("name", def.name()).put("state", def.enabled() ? "delivering" : "disabled");
      if (!def.enabled()) {
        out.put("disabled", def.disabled());
      }
      JsonObject redrive = redrives.status(def.name());
      return out.put("partitions", partitions.result())
          .put("lag", lag(partitions.result()))
          .put("delivered", (long) m.delivered.count())
          .put("failed", (long) m.failedTotal())
          .put("retries", (long) m.retries.count())
          .put("deadLettered", (long) m.deadLettered.count())
          .put("lastError", m.lastError)
          .put("redrive", (redrive == null ? new JsonObject().put("state", "idle") : redrive)
              .put("waiting", waiting.result()));
    });
  }

  /** The records between a webhook's committed offsets and its topics' ends, over all partitions. */
  Future<Long> lag(WebhookDefinition def) {
    return partitions(def.group(), def.topics()).map(WebhookStatus::lag);
  }

  private static long lag(JsonArray partitions) {
    long lag = 0;
    for (int i = 0; i < partitions.size(); i++) {
      lag += partitions.getJsonObject(i).getLong("lag");
    }
    return lag;
  }

  /** Per partition of the topics: the group's committed offset, the end and the lag. */
  private Future<JsonArray> partitions(String group, List<String> topicNames) {
    Future<Map<io.vertx.kafka.client.common.TopicPartition, OffsetAndMetadata>> committed =
        lane.run(() -> lane.admin().listConsumerGroupOffsets(group));
    Future<Map<TopicPartition, Long>> ends = topics.lookupAll(topicNames).compose(found -> {
      List<TopicPartition> tps = new ArrayList<>();
      found.forEach((t, info) -> {
        for (int p = 0; p < info.partitions(); p++) {
          tps.add(new TopicPartition(t, p));
        }
      });
      return topics.offsets(tps, OffsetSpec.LATEST);
    });
    return Future.all(committed, ends).map(x -> {
      JsonArray partitions = new JsonArray();
      ends.result().entrySet().stream()
          .sorted(Comparator.<Map.Entry<TopicPartition, Long>, String>comparing(e -> e.getKey().topic())
              .thenComparingInt(e -> e.getKey().partition()))
          .forEach(e -> {
            OffsetAndMetadata c = committed.result().get(
                new io.vertx.kafka.client.common.TopicPartition(e.getKey().topic(), e.getKey().partition()));
            Long at = c == null ? null : c.getOffset();
            partitions.add(new JsonObject().put("topic", e.getKey().topic()).put("partition", e.getKey().partition())
                .put("committed", at).put("end", e.getValue())
                .put("lag", at == null ? e.getValue() : Math.max(0, e.getValue() - at)));
          });
      return partitions;
    });
  }
}
