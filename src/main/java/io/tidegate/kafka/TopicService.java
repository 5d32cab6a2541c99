package io.tidegate.kafka;

import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.kafka.admin.OffsetSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Topics through vertx-kafka-client's admin client, all asynchronous, in two lanes: publishing's look-ups on
 * the {@code publishing} lane (shared with the health probe), everything clients ask for (subscribe look-ups,
 * the topic API, offsets) on the bounded {@code clients} lane. Failures reach clients as problems that say
 * what to do, never as the admin client's own words.
 */
public final class TopicService {
  /** After a create, a broker that has not caught up yet may still call the topic unknown: ask again, briefly. */
  private static final int CREATED_RETRIES = 10;
  private static final long CREATED_BACKOFF_MS = 100;
  /**
   * Topics this gateway created in the last {@value #RECENT_SECONDS} s (at most 1,000, the oldest forgotten
   * first): a describe of one is asked again while it says "unknown", as the create's own describe is, since the
   * next request may reach another broker that has not caught up either. Other names get their 404 at once.
   */
  private static final int RECENT_SECONDS = 10;
  private final com.github.benmanes.caffeine.cache.Cache<String, Boolean> recentlyCreated =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(1_000)
          .expireAfterWrite(java.time.Duration.ofSeconds(RECENT_SECONDS)).build();

  private final Vertx vertx;
  private final AdminLane clients;
  private final TidegateConfig.Kafka config;
  private final TopicLookups forPublishing;
  private final TopicLookups forClients;

  public TopicService(Vertx vertx, AdminLane publishing, AdminLane clients, TidegateConfig.Kafka config) {
    this.vertx = vertx;
    this.clients = clients;
    this.config = config;
    this.forPublishing = new TopicLookups(vertx, publishing);
    this.forClients = new TopicLookups(vertx, clients);
  }

  /**
   * Looks up many topics in one batched describe (the names the cache does not hold), on the clients' lane.
   * The map holds the topics that exist; a name that does not exist is absent from it. Fails with 503 when the
   * lane is full or Kafka does not answer in time.
   */
  public Future<Map<String, TopicInfo>> lookupAll(Collection<String> topics) {
    return forClients.lookupAll(topics);
  }

  /**
   * A look-up for the names of one request (a subscribe, an SSE request, a group join): the first call asks
   * Kafka once for all of {@code names}, every call answers from that one answer (404 for a name that does not
   * exist). However many topics a client names, its request costs one describe.
   */
  public java.util.function.Function<String, Future<TopicInfo>> batch(Collection<String> names) {
    var once = new Object() {
      Future<Map<String, TopicInfo>> all;
    };
    return topic -> {
      if (once.all == null) {
        once.all = lookupAll(names);
      }
      return once.all.compose(found -> present(topic, found));
    };
  }

  /** One topic's partition count, through {@link #lookupAll}; fails with 404 when the topic does not exist. */
  public Future<TopicInfo> lookup(String topic) {
    return lookupAll(List.of(topic)).compose(found -> present(topic, found));
  }

  /** For publishing: asks Kafka again first (a partition may just have been added). */
  public Future<TopicInfo> refresh(String topic) {
    forPublishing.invalidate(topic);
    return forPublishing.lookupAll(List.of(topic)).compose(found -> present(topic, found));
  }

  /** For publishing: looks the topic up, creating it with the configured defaults when auto-creation is on. */
  public Future<TopicInfo> lookupOrCreate(String topic) {
    Future<TopicInfo> known = forPublishing.lookupAll(List.of(topic)).compose(found -> present(topic, found));
    if (!config.autoCreateTopics()) {
      return known;
    }
    return known.recover(e -> e instanceof ApiError api && api.status() == 404
        ? createOnly(topic, Optional.empty(), Optional.empty(), Map.of())
            .recover(ce -> ce instanceof ApiError c && c.status() == 409 ? Future.succeededFuture() : Future.failedFuture(ce))
            .compose(x -> untilKnown(() -> refresh(topic)))
        : Future.failedFuture(e));
  }

  /** All topics but Kafka's internal ones, with partition count and replication factor, sorted by name. */
  public Future<List<TopicSummary>> list() {
    return clients.run(() -> {
      Context ctx = vertx.getOrCreateContext();
      return clients.admin().listTopics() // Kafka's internal topics are left out
          .compose(names -> TopicLookups.describeEach(clients, ctx, names))
          .map(found -> found.values().stream().sorted(Comparator.comparing(TopicDescription::name))
              .map(d -> new TopicSummary(d.name(), d.partitions().size(),
                  d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size()))
              .toList());
    }).recover(e -> Future.failedFuture(AdminErrors.forClient(e, null)));
  }

  /** Partitions with leader, replicas, in-sync replicas, and begin and end offsets; 404 for an unknown topic. */
  public Future<TopicDetails> describe(String topic) {
    Supplier<Future<TopicDetails>> ask = () -> clients.run(() -> details(topic));
    return (recentlyCreated.getIfPresent(topic) != null ? untilKnown(ask) : ask.get())
        .recover(e -> Future.failedFuture(AdminErrors.forClient(e, topic)));
  }

  private Future<TopicDetails> details(String topic) {
    Context ctx = vertx.getOrCreateContext();
    return TopicLookups.describeEach(clients, ctx, List.of(topic)).compose(found -> {
      TopicDescription d = found.get(topic);
      if (d == null) {
        return Future.failedFuture(ApiError.unknownTopic(topic));
      }
      List<TopicPartition> tps = d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      Future<Map<TopicPartition, Long>> begin = listOffsets(tps, OffsetSpec.EARLIEST);
      Future<Map<TopicPartition, Long>> end = listOffsets(tps, OffsetSpec.LATEST);
      return Future.all(begin, end).map(x -> {
        List<TopicDetails.Partition> partitions = new ArrayList<>(tps.size());
        for (TopicPartitionInfo p : d.partitions()) {
          TopicPartition tp = new TopicPartition(topic, p.partition());
          partitions.add(new TopicDetails.Partition(p.partition(),
              p.leader() == null || p.leader().isEmpty() ? null : p.leader().id(),
              ids(p.replicas()), ids(p.isr()), begin.result().get(tp), end.result().get(tp)));
        }
        return new TopicDetails(topic, d.isInternal(), partitions);
      });
    });
  }

  /**
   * Creates a topic (partition count and replication factor fall back to the configured defaults) and answers
   * its description. The describe is asked again briefly while it says "unknown": in a cluster of several
   * brokers, the one asked may not have caught up with the controller yet.
   */
  public Future<TopicDetails> create(String topic, Optional<Integer> partitions, Optional<Short> replicationFactor,
                                     Map<String, String> configs) {
    return createOnly(topic, partitions, replicationFactor, configs)
        .compose(v -> untilKnown(() -> clients.run(() -> details(topic))))
        .recover(e -> Future.failedFuture(AdminErrors.forClient(e, topic)));
  }

  /**
   * Kafka's admin client directly: vertx-kafka-client's {@code NewTopic} cannot ask for the broker's default
   * replication factor (with -1 its conversion throws a NullPointerException), and that default is ours too.
   */
  private Future<Void> createOnly(String topic, Optional<Integer> partitions, Optional<Short> replicationFactor,
                                  Map<String, String> configs) {
    int n = partitions.orElse(config.defaultPartitions());
    short rf = replicationFactor.orElse(config.defaultReplicationFactor());
    org.apache.kafka.clients.admin.NewTopic nt = new org.apache.kafka.clients.admin.NewTopic(topic, Optional.of(n),
        rf < 0 ? Optional.empty() : Optional.of(rf)).configs(configs);
    Context ctx = vertx.getOrCreateContext();
    return clients.run(() -> Future.fromCompletionStage(clients.kafka().createTopics(List.of(nt)).all().toCompletionStage(), ctx))
        .onComplete(x -> {
          forClients.invalidate(topic);
          forPublishing.invalidate(topic);
        })
        .onSuccess(x -> recentlyCreated.put(topic, Boolean.TRUE))
        .recover(e -> Future.failedFuture(AdminErrors.forClient(e, topic)));
  }

  public Future<Void> delete(String topic) {
    recentlyCreated.invalidate(topic);
    forClients.invalidate(topic);
    forPublishing.invalidate(topic);
    return clients.run(() -> clients.admin().deleteTopics(List.of(topic)))
        .recover(e -> Future.failedFuture(AdminErrors.forClient(e, topic)))
        .onComplete(x -> {
          forClients.invalidate(topic);
          forPublishing.invalidate(topic);
        });
  }

  /** Offsets of the given spec ({@code EARLIEST}, {@code LATEST} or {@code TIMESTAMP(ms)}) for each partition. */
  public Future<Map<TopicPartition, Long>> offsets(Collection<TopicPartition> tps, OffsetSpec spec) {
    if (tps.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    return clients.run(() -> listOffsets(tps, spec)).recover(e -> Future.failedFuture(AdminErrors.forClient(e, null)));
  }

  /**
   * Kafka's spec, for callers not moved to {@link #offsets(Collection, OffsetSpec)} yet. Kafka's timestamp spec
   * does not show its time, so it cannot be handed to vertx-kafka-client: that one case goes to Kafka's admin
   * client directly. {@code ctx} is where the answer arrives.
   */
  @Deprecated
  public Future<Map<TopicPartition, Long>> offsets(Context ctx, Collection<TopicPartition> tps,
                                                   org.apache.kafka.clients.admin.OffsetSpec spec) {
    if (spec instanceof org.apache.kafka.clients.admin.OffsetSpec.EarliestSpec) {
      return offsets(tps, OffsetSpec.EARLIEST);
    }
    if (spec instanceof org.apache.kafka.clients.admin.OffsetSpec.LatestSpec) {
      return offsets(tps, OffsetSpec.LATEST);
    }
    if (tps.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request = new HashMap<>();
    tps.forEach(tp -> request.put(tp, spec));
    return clients.run(() -> Future.fromCompletionStage(clients.kafka().listOffsets(request).all().toCompletionStage(), ctx)
        .map(result -> {
          Map<TopicPartition, Long> out = new HashMap<>();
          result.forEach((tp, info) -> out.put(tp, info.offset()));
          return out;
        }))
        .recover(e -> Future.failedFuture(AdminErrors.forClient(e, null)));
  }

  /** The offsets call itself, for an operation that already holds its place in the lane. */
  Future<Map<TopicPartition, Long>> listOffsets(Collection<TopicPartition> tps, OffsetSpec spec) {
    if (tps.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Map<io.vertx.kafka.client.common.TopicPartition, OffsetSpec> request = new HashMap<>();
    tps.forEach(tp -> request.put(new io.vertx.kafka.client.common.TopicPartition(tp.topic(), tp.partition()), spec));
    return clients.admin().listOffsets(request).map(result -> {
      Map<TopicPartition, Long> out = new HashMap<>();
      result.forEach((tp, info) -> out.put(new TopicPartition(tp.getTopic(), tp.getPartition()), info.getOffset()));
      return out;
    });
  }

  /** Asks again, after a growing pause, while the answer is "unknown topic"; at most {@value #CREATED_RETRIES} times. */
  private <T> Future<T> untilKnown(Supplier<Future<T>> ask) {
    Promise<T> out = Promise.promise();
    attempt(ask, 0, out);
    return out.future();
  }

  private <T> void attempt(Supplier<Future<T>> ask, int tries, Promise<T> out) {
    ask.get().onComplete(ar -> {
      boolean unknown = ar.failed() && (TopicLookups.isUnknownTopic(ar.cause())
          || ar.cause() instanceof ApiError api && api.status() == 404);
      if (unknown && tries < CREATED_RETRIES) {
        vertx.setTimer(CREATED_BACKOFF_MS * (tries + 1), t -> attempt(ask, tries + 1, out));
      } else {
        out.handle(ar);
      }
    });
  }

  private static Future<TopicInfo> present(String topic, Map<String, TopicInfo> found) {
    TopicInfo info = found.get(topic);
    return info != null ? Future.succeededFuture(info) : Future.failedFuture(ApiError.unknownTopic(topic));
  }

  private static List<Integer> ids(List<Node> nodes) {
    return nodes.stream().map(Node::id).toList();
  }
}
