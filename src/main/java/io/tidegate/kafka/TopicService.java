package io.tidegate.kafka;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Topics through Kafka's Admin client, all asynchronous. Keeps a bounded, short-lived cache of partition
 * counts so publishing can tell an unknown topic (404) or partition (422) without a round trip per request.
 */
public final class TopicService {
  private static final Duration TOPIC_CACHE_TTL = Duration.ofSeconds(30);
  private static final long TOPIC_CACHE_MAX = 10_000;

  private final Vertx vertx;
  private final Admin admin;
  private final TidegateConfig.Kafka config;
  private final AsyncCache<String, TopicInfo> topics = Caffeine.newBuilder()
      .maximumSize(TOPIC_CACHE_MAX)
      .expireAfterWrite(TOPIC_CACHE_TTL)
      .buildAsync();

  public TopicService(Vertx vertx, Admin admin, TidegateConfig.Kafka config) {
    this.vertx = vertx;
    this.admin = admin;
    this.config = config;
  }

  public Admin admin() {
    return admin;
  }

  /** The topic's partition count, from the cache when fresh; fails with 404 when the topic does not exist. */
  public Future<TopicInfo> lookup(String topic) {
    Context ctx = vertx.getOrCreateContext();
    CompletableFuture<TopicInfo> f = topics.get(topic, (name, executor) -> describeOne(name));
    return Future.fromCompletionStage(f, ctx)
        .compose(info -> info != null ? Future.succeededFuture(info) : Future.failedFuture(ApiError.unknownTopic(topic)));
  }

  /** Like {@link #lookup} but asks Kafka again first (a partition may just have been added). */
  public Future<TopicInfo> refresh(String topic) {
    topics.synchronous().invalidate(topic);
    return lookup(topic);
  }

  /** Looks the topic up, creating it with the configured defaults when auto-creation is on. */
  public Future<TopicInfo> lookupOrCreate(String topic) {
    if (!config.autoCreateTopics()) {
      return lookup(topic);
    }
    return lookup(topic).recover(e -> e instanceof ApiError api && api.status() == 404
        ? create(topic, Optional.empty(), Optional.empty(), Map.of())
            .recover(ce -> ce instanceof ApiError c && c.status() == 409 ? Future.succeededFuture() : Future.failedFuture(ce))
            .compose(x -> refresh(topic))
        : Future.failedFuture(e));
  }

  /** All non-internal topics with partition count and replication factor, sorted by name. */
  public Future<JsonArray> list() {
    Context ctx = vertx.getOrCreateContext();
    return KafkaFutures.on(ctx, admin.listTopics(new ListTopicsOptions().listInternal(false)).names())
        .compose(names -> names.isEmpty()
            ? Future.succeededFuture(Map.<String, TopicDescription>of())
            : KafkaFutures.on(ctx, admin.describeTopics(names).allTopicNames()))
        .map(descriptions -> {
          JsonArray out = new JsonArray();
          descriptions.values().stream().sorted(Comparator.comparing(TopicDescription::name)).forEach(d -> out.add(
              new JsonObject()
                  .put("name", d.name())
                  .put("partitions", d.partitions().size())
                  .put("replicationFactor", d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size())));
          return out;
        });
  }

  /** Partitions with leader, replicas, in-sync replicas, and begin and end offsets. */
  public Future<JsonObject> describe(String topic) {
    Context ctx = vertx.getOrCreateContext();
    return KafkaFutures.on(ctx, admin.describeTopics(List.of(topic)).allTopicNames())
        .recover(e -> Future.failedFuture(unknownTopicAs404(e, topic)))
        .compose(map -> {
          TopicDescription d = map.get(topic);
          List<TopicPartition> tps = d.partitions().stream()
              .map(p -> new TopicPartition(topic, p.partition())).toList();
          return offsets(ctx, tps, OffsetSpec.earliest())
              .compose(begin -> offsets(ctx, tps, OffsetSpec.latest()).map(end -> {
                JsonArray partitions = new JsonArray();
                for (TopicPartitionInfo p : d.partitions()) {
                  TopicPartition tp = new TopicPartition(topic, p.partition());
                  partitions.add(new JsonObject()
                      .put("partition", p.partition())
                      .put("leader", p.leader() == null || p.leader().isEmpty() ? null : p.leader().id())
                      .put("replicas", ids(p.replicas()))
                      .put("isr", ids(p.isr()))
                      .put("beginOffset", begin.get(tp))
                      .put("endOffset", end.get(tp)));
                }
                return new JsonObject()
                    .put("name", topic)
                    .put("internal", d.isInternal())
                    .put("partitions", partitions);
              }));
        });
  }

  /** Creates a topic; the partition count and replication factor fall back to the configured defaults. */
  public Future<TopicInfo> create(String topic, Optional<Integer> partitions, Optional<Short> replicationFactor,
                                  Map<String, String> configs) {
    Context ctx = vertx.getOrCreateContext();
    int n = partitions.orElse(config.defaultPartitions());
    short rf = replicationFactor.orElse(config.defaultReplicationFactor());
    NewTopic nt = new NewTopic(topic, Optional.of(n), rf < 0 ? Optional.empty() : Optional.of(rf)).configs(configs);
    return KafkaFutures.on(ctx, admin.createTopics(List.of(nt)).all())
        .compose(v -> refresh(topic)); // answers once every partition is served, see describeOne
  }

  public Future<Void> delete(String topic) {
    Context ctx = vertx.getOrCreateContext();
    topics.synchronous().invalidate(topic);
    return KafkaFutures.on(ctx, admin.deleteTopics(List.of(topic)).all())
        .recover(e -> Future.failedFuture(unknownTopicAs404(e, topic)))
        .onComplete(x -> topics.synchronous().invalidate(topic));
  }

  /** Offsets of the given spec for each partition. */
  public Future<Map<TopicPartition, Long>> offsets(Context ctx, Collection<TopicPartition> tps, OffsetSpec spec) {
    if (tps.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Map<TopicPartition, OffsetSpec> request = tps.stream().collect(Collectors.toMap(tp -> tp, tp -> spec));
    return KafkaFutures.on(ctx, admin.listOffsets(request).all())
        .map(result -> {
          Map<TopicPartition, Long> out = new HashMap<>();
          for (Map.Entry<TopicPartition, ListOffsetsResultInfo> e : result.entrySet()) {
            out.put(e.getKey(), e.getValue().offset());
          }
          return out;
        });
  }

  /**
   * Describes the topic, then waits until every partition's leader serves it (ListOffsets answers only then).
   * Kafka brokers before 4.5 can lose records of an idempotent producer that writes to a partition in the
   * moment the leader is creating it (KAFKA-15591): the first request fails, a later one is appended, and the
   * first then spins on OUT_OF_ORDER_SEQUENCE_NUMBER until it expires. Publishing only to partitions that
   * already answer closes that window. Completes with null for an unknown topic: Caffeine then keeps
   * nothing, so a topic created later is seen.
   */
  private CompletableFuture<TopicInfo> describeOne(String topic) {
    CompletableFuture<TopicInfo> out = new CompletableFuture<>();
    KafkaFuture<TopicDescription> f = admin.describeTopics(List.of(topic)).topicNameValues().get(topic);
    f.whenComplete((d, e) -> {
      if (e instanceof UnknownTopicOrPartitionException
          || (e != null && e.getCause() instanceof UnknownTopicOrPartitionException)) {
        out.complete(null);
      } else if (e != null) {
        out.completeExceptionally(e);
      } else {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        d.partitions().forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        admin.listOffsets(request).all().whenComplete((offsets, e2) -> {
          if (e2 != null) {
            out.completeExceptionally(e2);
          } else {
            out.complete(new TopicInfo(topic, d.partitions().size()));
          }
        });
      }
    });
    return out;
  }

  private static Throwable unknownTopicAs404(Throwable e, String topic) {
    Throwable t = e;
    while (t.getCause() != null && !(t instanceof UnknownTopicOrPartitionException)) {
      t = t.getCause();
    }
    return t instanceof UnknownTopicOrPartitionException ? ApiError.unknownTopic(topic) : e;
  }

  private static JsonArray ids(List<Node> nodes) {
    List<Integer> ids = new ArrayList<>(nodes.size());
    for (Node n : nodes) {
      ids.add(n.id());
    }
    return new JsonArray(ids);
  }
}
