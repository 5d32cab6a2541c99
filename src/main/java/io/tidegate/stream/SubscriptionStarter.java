package io.tidegate.stream;

import io.tidegate.codec.RecordFilter;
import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Starts a client's subscriptions, all of a subscribe's topics or none. The topics are claimed at once, before
 * any look-up, so that a second subscribe of one of them is refused (409) however the look-ups interleave; the
 * claims go when the subscribe is answered. After every asynchronous step the client is checked to be still
 * open, so a client that closed meanwhile registers nothing; a subscribe that fails partway undoes what it
 * registered, whatever its {@code id}.
 */
final class SubscriptionStarter {
  private final StreamClient client;
  private final StreamContext c;
  private final StartPoint starts;
  /** Topics a subscribe under way has claimed. */
  private final Set<String> claimed = new HashSet<>();

  SubscriptionStarter(StreamClient client, StreamContext context) {
    this.client = client;
    this.c = context;
    this.starts = new StartPoint(context.topics(), context.context());
  }

  boolean starting(String topic) {
    return claimed.contains(topic);
  }

  Future<Void> subscribe(String id, List<String> topics, Function<String, RecordFilter> filterFor,
      Function<String, Object> fromFor, Function<String, Future<Integer>> partitions) {
    if (topics.size() > c.config().maxTopicsPerSubscribe()) {
      throw ApiError.badRequest("a subscribe names at most " + c.config().maxTopicsPerSubscribe() + " topics ("
          + topics.size() + " given; limits.maxTopicsPerSubscribe)");
    }
    if (client.subs.size() + claimed.size() + topics.size() > c.config().maxSubscriptionsPerSocket()) {
      throw ApiError.tooManySubscriptions("a client holds at most " + c.config().maxSubscriptionsPerSocket()
          + " subscriptions (limits.maxSubscriptionsPerSocket); unsubscribe from some first");
    }
    for (String topic : topics) {
      if (client.subs.containsKey(topic) || claimed.contains(topic)) {
        throw ApiError.conflict("already subscribed to '" + topic + "'; unsubscribe first");
      }
      StartPoint.validate(fromFor.apply(topic));
    }
    claimed.addAll(topics);
    List<Subscription> made = new ArrayList<>();
    List<Future<Void>> started = new ArrayList<>();
    for (String topic : topics) {
      RecordFilter filter = filterFor.apply(topic);
      started.add(partitions.apply(topic).compose(n -> start(id, topic, filter, fromFor.apply(topic), n, made)));
    }
    // join, not all: every start has settled before a failure is undone, so none registers after the undo
    return Future.join(started).transform(ar -> {
      topics.forEach(claimed::remove);
      if (ar.succeeded() && !client.closed) {
        return Future.succeededFuture();
      }
      made.forEach(s -> {
        if (client.subs.get(s.topic) == s) {
          client.drop(s.topic);
        }
      });
      return Future.failedFuture(ar.failed() ? ar.cause() : gone());
    });
  }

  private static ApiError gone() {
    return ApiError.badRequest("the connection closed");
  }

  private Future<Void> start(String id, String topic, RecordFilter filter, Object from, int partitions,
      List<Subscription> made) {
    if (client.closed) {
      return Future.failedFuture(gone());
    }
    if ("latest".equals(from)) {
      Subscription s = new Subscription(id, topic, filter, true);
      Map<Integer, Long> live = c.fanout().livePositions(topic);
      s.next.putAll(live);
      client.register(s);
      made.add(s);
      if (live.size() >= partitions) {
        return Future.succeededFuture(); // the feed already reads every partition here: start where it stands
      }
      // Ride the feed from where it starts, and say "subscribed" only once it stands on every partition, so
      // that nothing published after that reply can be missed.
      s.partitions = partitions;
      Promise<Void> positioned = Promise.promise();
      s.positioned = positioned;
      long timer = c.context().owner().setTimer(StreamClient.POSITION_TIMEOUT_MS, t -> positioned.tryFail(
          ApiError.unavailable("the gateway could not start reading '" + topic + "' from Kafka in time; retry shortly", 1)));
      return positioned.future().onComplete(ar -> c.context().owner().cancelTimer(timer));
    }
    Map<Integer, Long> inTail = StartPoint.inTail(topic, from, partitions, c.fanout());
    if (inTail != null) {
      // the loop's tail holds the past asked for: no look-up, no permit, no Kafka read (see CatchUpDelivery)
      Subscription s = new Subscription(id, topic, filter, false);
      s.next.putAll(inTail);
      s.tail = true;
      client.register(s);
      made.add(s);
      return Future.succeededFuture();
    }
    // The permit is taken before the look-ups: in a reconnect storm, a subscribe refused for want of one costs
    // Kafka nothing (thousands of retries of two offset look-ups each crowded out the readiness probe).
    if (!c.catchUps().tryAcquire()) {
      return Future.failedFuture(ApiError.overloaded("too many subscriptions reading the past at once; retry shortly"));
    }
    Future<Map<Integer, Long>> offsets;
    try {
      offsets = starts.resolve(id, topic, from, partitions, client::event);
    } catch (RuntimeException e) {
      offsets = Future.failedFuture(e); // the permit goes back below, however the look-up failed
    }
    return offsets.transform(ar -> {
      if (ar.failed() || client.closed) {
        c.catchUps().release();
        return Future.failedFuture(ar.failed() ? ar.cause() : gone());
      }
      Subscription s = new Subscription(id, topic, filter, false);
      s.next.putAll(ar.result());
      client.past.beginHeld(s);
      client.register(s);
      made.add(s);
      return Future.succeededFuture();
    });
  }
}
