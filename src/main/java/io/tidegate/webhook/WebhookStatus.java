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
 * so the same on every gateway), and this gateway's counts of delivered, failed and dead-lettered records.
 */
final class WebhookStatus {
  private final TopicService topics;
  private final AdminLane lane;
  private final Deliveries deliveries;

  WebhookStatus(TopicService topics, AdminLane lane, Deliveries deliveries) {
    this.topics = topics;
    this.lane = lane;
    this.deliveries = deliveries;
  }

  Future<JsonObject> of(WebhookDefinition def) {
    Future<Map<io.vertx.kafka.client.common.TopicPartition, OffsetAndMetadata>> committed =
        lane.run(() -> lane.admin().listConsumerGroupOffsets(def.group()));
    Future<Map<TopicPartition, Long>> ends = topics.lookupAll(def.topics()).compose(found -> {
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
      WebhookMeters m = deliveries.meters(def.name());
      JsonObject out = new JsonObject().put("name", def.name()).put("state", def.enabled() ? "delivering" : "disabled");
      if (!def.enabled()) {
        out.put("disabled", def.disabled());
      }
      return out.put("partitions", partitions)
          .put("delivered", (long) m.delivered.count())
          .put("failed", (long) m.failedTotal())
          .put("retries", (long) m.retries.count())
          .put("deadLettered", (long) m.deadLettered.count());
    });
  }
}
