package io.tidegate.kafka;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.admin.OffsetSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Partition counts of topics, looked up on one {@link AdminLane} and kept in a bounded, short-lived cache, so
 * publishing and subscribing can tell an unknown topic or partition without a round trip per request. The
 * names a request misses are looked up together, in one describe and one offsets call.
 */
final class TopicLookups {
  private static final Duration TTL = Duration.ofSeconds(30);
  private static final long MAX_TOPICS = 10_000;

  private final Vertx vertx;
  private final AdminLane lane;
  private final AsyncCache<String, TopicInfo> cache = Caffeine.newBuilder()
      .maximumSize(MAX_TOPICS)
      .expireAfterWrite(TTL)
      .buildAsync();

  TopicLookups(Vertx vertx, AdminLane lane) {
    this.vertx = vertx;
    this.lane = lane;
  }

  /**
   * The topics that exist, by name; names of topics that do not exist are absent (and not cached). A request
   * that finds every name cached (or being looked up already) takes no place in the lane; one that misses some
   * holds a place while the missing names are looked up, in one batch.
   */
  Future<Map<String, TopicInfo>> lookupAll(Collection<String> topics) {
    if (topics.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Map<String, TopicInfo> known = known(topics);
    if (known != null) {
      return Future.succeededFuture(known); // the common case, publishing to a known topic: no hop, no lane
    }
    Context ctx = vertx.getOrCreateContext();
    Set<String> names = Set.copyOf(topics);
    boolean allKnown = true;
    for (String name : names) {
      if (cache.getIfPresent(name) == null) {
        allKnown = false;
        break;
      }
    }
    // The lane admits a request before it reaches the cache: a refusal must not become a failed load (Caffeine
    // logs each of those, and a flood of them would hold the event loop).
    Future<Map<String, TopicInfo>> found = allKnown ? fromCache(ctx, names) : lane.run(() -> fromCache(ctx, names));
    return found.recover(e -> Future.failedFuture(AdminErrors.forClient(e, names.size() == 1 ? names.iterator().next() : null)));
  }

  /** Every name's answer when the cache already holds all of them, complete; else null. */
  private Map<String, TopicInfo> known(Collection<String> topics) {
    Map<String, TopicInfo> out = new HashMap<>();
    for (String name : topics) {
      CompletableFuture<TopicInfo> f = cache.getIfPresent(name);
      if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
        return null;
      }
      TopicInfo info = f.getNow(null);
      if (info != null) {
        out.put(name, info);
      }
    }
    return out;
  }

  private Future<Map<String, TopicInfo>> fromCache(Context ctx, Set<String> names) {
    CompletableFuture<Map<String, TopicInfo>> f = cache.getAll(names, (missing, executor) ->
        load(ctx, List.copyOf(missing)).recover(e -> Future.failedFuture(new LoadFailed(e)))
            .toCompletionStage().toCompletableFuture());
    return Future.fromCompletionStage(f, ctx).recover(e -> Future.failedFuture(LoadFailed.cause(e)));
  }

  /**
   * A failed look-up as the cache sees it. Caffeine logs every other failure of a load with its stack trace
   * (Kafka's "Timed out waiting for a node assignment. Call: listOffsets" for each look-up while a partition has
   * no leader), but not a cancellation; the caller gets the failure itself back ({@link #cause}).
   */
  private static final class LoadFailed extends java.util.concurrent.CancellationException {
    private final Throwable failure;

    LoadFailed(Throwable failure) {
      this.failure = failure;
    }

    static Throwable cause(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof LoadFailed l) {
          return l.failure;
        }
      }
      return e;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // a carrier, never thrown to a log
    }
  }

  void invalidate(String topic) {
    cache.synchronous().invalidate(topic);
  }

  /**
   * Describes the topics, then waits until every partition's leader serves them (ListOffsets answers only then).
   * Kafka brokers before 4.5 can lose records of an idempotent producer that writes to a partition in the
   * moment the leader is creating it (KAFKA-15591): the first request fails, a later one is appended, and the
   * first then spins on OUT_OF_ORDER_SEQUENCE_NUMBER until it expires. Publishing only to partitions that
   * already answer closes that window.
   */
  private Future<Map<String, TopicInfo>> load(Context ctx, List<String> topics) {
    return describeEach(lane, ctx, topics).compose(found -> {
      Map<io.vertx.kafka.client.common.TopicPartition, OffsetSpec> request = new HashMap<>();
      Map<String, TopicInfo> out = new HashMap<>();
      found.forEach((name, d) -> {
        d.partitions().forEach(p -> request.put(new io.vertx.kafka.client.common.TopicPartition(name, p.partition()),
            OffsetSpec.LATEST));
        out.put(name, new TopicInfo(name, d.partitions().size()));
      });
      return request.isEmpty() ? Future.succeededFuture(out) : lane.admin().listOffsets(request).map(x -> out);
    });
  }

  /**
   * One describe for all the names, with an answer per name: the topics that exist. vertx-kafka-client's
   * {@code describeTopics} cannot serve here: it fails the whole batch when one name is unknown, and its
   * conversion throws (leaving its future forever pending) on a partition that has no leader. So this uses
   * Kafka's admin client directly and brings each answer onto {@code ctx}.
   */
  static Future<Map<String, TopicDescription>> describeEach(AdminLane lane, Context ctx, Collection<String> topics) {
    Map<String, TopicDescription> found = new HashMap<>();
    if (topics.isEmpty()) {
      return Future.succeededFuture(found);
    }
    List<Future<Void>> each = new ArrayList<>(topics.size());
    lane.kafka().describeTopics(topics).topicNameValues().forEach((name, kf) -> each.add(
        Future.fromCompletionStage(kf.toCompletionStage(), ctx)
            .<Void>map(d -> {
              found.put(name, d);
              return null;
            })
            .recover(e -> isUnknownTopic(e) ? Future.succeededFuture() : Future.failedFuture(e))));
    return Future.all(each).map(x -> found);
  }

  static boolean isUnknownTopic(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownTopicOrPartitionException) {
        return true;
      }
    }
    return false;
  }
}
