package io.tidegate.webhook;

import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.kafka.AdminLane;
import io.tidegate.kafka.TopicInfo;
import io.tidegate.kafka.TopicService;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.kafka.admin.OffsetSpec;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnknownMemberIdException;

/** What a webhook needs in Kafka before it is stored: its topics, its dead-letter topic, its group's start. */
final class WebhookSetup {
  private final TopicService topics;
  private final AdminLane lane;

  WebhookSetup(TopicService topics, AdminLane lane) {
    this.topics = topics;
    this.lane = lane;
  }

  /** The definitions topic: compacted (the newest definition per name is kept), one partition (one order). */
  Future<Void> definitionsTopic(Context ctx, String topic) {
    return topics.create(topic, Optional.of(1), Optional.empty(), Map.of("cleanup.policy", "compact"))
        .<Void>mapEmpty()
        .recover(e -> e instanceof ApiError a && a.status() == 409 ? Future.succeededFuture() : Future.failedFuture(e));
  }

  /**
   * Checks that the topics exist (404 naming the first missing one), creates the dead-letter topic with the
   * configured defaults when it is missing, and commits the topics' end offsets for the webhook's group.
   */
  Future<Void> prepare(WebhookDefinition def) {
    return topics.lookupAll(def.topics()).compose(found -> {
      for (String t : def.topics()) {
        if (!found.containsKey(t)) {
          return Future.failedFuture(ApiError.unknownTopic(t));
        }
      }
      return deadLetterTopic(def.deadLetterTopic()).compose(v -> startAtEnd(def, found));
    });
  }

  private Future<Void> deadLetterTopic(String topic) {
    return topics.lookupAll(List.of(topic)).compose(found -> found.containsKey(topic) ? Future.succeededFuture()
        : topics.create(topic, Optional.empty(), Optional.empty(), Map.of()).<Void>mapEmpty()
            .recover(e -> e instanceof ApiError a && a.status() == 409 ? Future.succeededFuture() : Future.failedFuture(e)));
  }

  private Future<Void> startAtEnd(WebhookDefinition def, Map<String, TopicInfo> found) {
    List<TopicPartition> tps = new ArrayList<>();
    for (String t : def.topics()) {
      for (int p = 0; p < found.get(t).partitions(); p++) {
        tps.add(new TopicPartition(t, p));
      }
    }
    return topics.offsets(tps, OffsetSpec.LATEST).compose(ends -> {
      Map<io.vertx.kafka.client.common.TopicPartition, OffsetAndMetadata> start = new HashMap<>();
      ends.forEach((tp, end) -> start.put(new io.vertx.kafka.client.common.TopicPartition(tp.topic(), tp.partition()),
          new OffsetAndMetadata(end, "")));
      return lane.run(() -> lane.admin().alterConsumerGroupOffsets(def.group(), start));
    }).recover(e -> {
      Throwable t = ErrorMapper.unwrap(e);
      if (t instanceof GroupNotEmptyException || t instanceof UnknownMemberIdException) {
        return Future.failedFuture(ApiError.conflict("the consumer group '" + def.group()
            + "' still has members (a webhook of that name was deleted moments ago?); retry shortly"));
      }
      return Future.failedFuture(e);
    });
  }
}
