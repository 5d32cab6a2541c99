package io.tidegate.kafka;

import io.vertx.core.Future;
import io.vertx.kafka.admin.ConsumerGroupDescription;
import io.vertx.kafka.admin.ConsumerGroupListing;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.admin.OffsetSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumer groups with their committed offsets and lag per partition, through vertx-kafka-client on the
 * clients' admin lane (one place in it for the whole listing). vertx-kafka-client asks for committed offsets
 * one group at a time; those calls run together.
 */
public final class GroupService {
  private static final Comparator<TopicPartition> BY_TOPIC_PARTITION =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  private final AdminLane lane;
  private final TopicService topics;

  public GroupService(AdminLane lane, TopicService topics) {
    this.lane = lane;
    this.topics = topics;
  }

  /** Every consumer group, sorted by id, with its partitions sorted by topic and partition. */
  public Future<List<GroupLag>> list() {
    return lane.run(this::listNow).recover(e -> Future.failedFuture(AdminErrors.forClient(e, null)));
  }

  private Future<List<GroupLag>> listNow() {
    KafkaAdminClient admin = lane.admin();
    return admin.listConsumerGroups().compose(listings -> {
      List<String> ids = listings.stream().map(ConsumerGroupListing::getGroupId).sorted().toList();
      if (ids.isEmpty()) {
        return Future.succeededFuture(List.of());
      }
      Future<Map<String, ConsumerGroupDescription>> described = admin.describeConsumerGroups(ids);
      Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();
      List<Future<Void>> offsets = new ArrayList<>(ids.size());
      for (String id : ids) {
        offsets.add(admin.listConsumerGroupOffsets(id).map(m -> {
          Map<TopicPartition, Long> mine = new HashMap<>();
          m.forEach((tp, om) -> {
            if (om != null) {
              mine.put(new TopicPartition(tp.getTopic(), tp.getPartition()), om.getOffset());
            }
          });
          committed.put(id, mine);
          return null;
        }));
      }
      return Future.all(described, Future.all(offsets)).compose(both -> {
        Set<TopicPartition> tps = new HashSet<>();
        committed.values().forEach(m -> tps.addAll(m.keySet()));
        return topics.listOffsets(tps, OffsetSpec.LATEST)
            .map(end -> lags(ids, described.result(), committed, end));
      });
    });
  }

  private static List<GroupLag> lags(List<String> ids, Map<String, ConsumerGroupDescription> described,
                                     Map<String, Map<TopicPartition, Long>> committed, Map<TopicPartition, Long> end) {
    List<GroupLag> out = new ArrayList<>(ids.size());
    for (String id : ids) {
      ConsumerGroupDescription d = described.get(id);
      Map<TopicPartition, Long> offsets = committed.getOrDefault(id, Map.of());
      List<GroupLag.Partition> partitions = new ArrayList<>(offsets.size());
      long total = 0;
      for (TopicPartition tp : offsets.keySet().stream().sorted(BY_TOPIC_PARTITION).toList()) {
        long at = offsets.get(tp);
        Long endOffset = end.get(tp);
        long lag = endOffset == null ? 0 : Math.max(0, endOffset - at);
        total += lag;
        partitions.add(new GroupLag.Partition(tp.topic(), tp.partition(), at, endOffset, lag));
      }
      out.add(new GroupLag(id, d == null || d.getState() == null ? "UNKNOWN" : d.getState().toString(),
          d == null || d.getMembers() == null ? 0 : d.getMembers().size(), total, partitions));
    }
    return out;
  }
}
