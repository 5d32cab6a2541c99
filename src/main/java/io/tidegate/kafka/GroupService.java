package io.tidegate.kafka;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Consumer groups with their committed offsets and lag per partition, in three batched admin calls. */
public final class GroupService {
  private final Vertx vertx;
  private final Admin admin;
  private final TopicService topics;

  public GroupService(Vertx vertx, Admin admin, TopicService topics) {
    this.vertx = vertx;
    this.admin = admin;
    this.topics = topics;
  }

  /** {@code [{"group","state","members","lag","partitions":[{"topic","partition","committed","end","lag"}]}]}. */
  public Future<JsonArray> list() {
    Context ctx = vertx.getOrCreateContext();
    return KafkaFutures.on(ctx, admin.listGroups(ListGroupsOptions.forConsumerGroups()).all())
        .compose(listings -> {
          List<String> ids = listings.stream().map(GroupListing::groupId).sorted().toList();
          if (ids.isEmpty()) {
            return Future.succeededFuture(new JsonArray());
          }
          Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
          ids.forEach(id -> specs.put(id, new ListConsumerGroupOffsetsSpec()));
          Future<Map<String, ConsumerGroupDescription>> described =
              KafkaFutures.on(ctx, admin.describeConsumerGroups(ids).all());
          Future<Map<String, Map<TopicPartition, OffsetAndMetadata>>> committed =
              KafkaFutures.on(ctx, admin.listConsumerGroupOffsets(specs).all());
          return Future.all(described, committed).compose(both -> {
            Set<TopicPartition> tps = new HashSet<>();
            committed.result().values().forEach(m -> tps.addAll(m.keySet()));
            return topics.offsets(ctx, tps, OffsetSpec.latest())
                .map(end -> render(ids, described.result(), committed.result(), end));
          });
        });
  }

  private static JsonArray render(List<String> ids, Map<String, ConsumerGroupDescription> described,
                                  Map<String, Map<TopicPartition, OffsetAndMetadata>> committed,
                                  Map<TopicPartition, Long> end) {
    JsonArray out = new JsonArray();
    for (String id : ids) {
      ConsumerGroupDescription d = described.get(id);
      JsonArray partitions = new JsonArray();
      long total = 0;
      Map<TopicPartition, OffsetAndMetadata> offsets = committed.getOrDefault(id, Map.of());
      List<TopicPartition> sorted = offsets.keySet().stream()
          .sorted(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition)).toList();
      for (TopicPartition tp : sorted) {
        OffsetAndMetadata om = offsets.get(tp);
        if (om == null) {
          continue;
        }
        Long endOffset = end.get(tp);
        long lag = endOffset == null ? 0 : Math.max(0, endOffset - om.offset());
        total += lag;
        partitions.add(new JsonObject().put("topic", tp.topic()).put("partition", tp.partition())
            .put("committed", om.offset()).put("end", endOffset).put("lag", lag));
      }
      out.add(new JsonObject()
          .put("group", id)
          .put("state", d == null ? "UNKNOWN" : d.groupState().toString())
          .put("members", d == null ? 0 : d.members().size())
          .put("lag", total)
          .put("partitions", partitions));
    }
    return out;
  }
}
