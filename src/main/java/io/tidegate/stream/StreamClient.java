package io.tidegate.stream;

import io.netty.buffer.ByteBuf;
import io.tidegate.codec.RecordFilter;
import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A streaming client, whatever its transport (WebSocket or Server-Sent Events): its subscriptions, where each
 * stands on every partition, and its outbound byte {@link Budget}. Lives on its connection's event loop.
 *
 * <p>Delivery per partition is by offset: a subscription knows the next offset it owes the client and takes
 * from the live feed only records at or after it. A subscription that starts in the past, or that fell a
 * budget behind the feed, reads from Kafka ({@link CatchUpDelivery}) until it has delivered up to where the
 * live feed stands on this loop, then rides the feed: no gap and no duplicate at the seam.
 *
 * <p>The live feed never waits for one client: a live record that does not fit in the budget is not written;
 * the subscription falls behind and, once the client drains, catches up from Kafka. A client that takes no
 * byte for {@code ws.stallSeconds} while something waits for it to drain is closed ({@link #overBudget}) with
 * the offsets to resume from.
 */
public abstract class StreamClient {
  /** How long a {@code latest} subscription (or a group member) waits for the feed to stand on every partition. */
  protected static final long POSITION_TIMEOUT_MS = 30_000;

  protected final StreamContext c;
  protected final Map<String, Subscription> subs = new LinkedHashMap<>();
  protected boolean closed;
  final Budget budget;
  private final SubscriptionStarter starter;
  final CatchUpDelivery past;
  private final Runnable onClose;
  private boolean cleanedUp;
  private long stallTimer = -1;
  final LivePass pass;

  protected StreamClient(StreamContext context, Runnable onClose) {
    this.c = context;
    this.onClose = onClose;
    this.past = new CatchUpDelivery(this, context);
    this.starter = new SubscriptionStarter(this, context);
    this.budget = new Budget(context.config().budgetBytes(), context.meters().queuedBytes(), now -> {
      if (!cleanedUp) {
        c.fanout().congestion(this, subs.keySet(), now);
        congestionChanged(now);
      }
    });
    this.pass = new LivePass(budget);
  }

  // ---- what the transport provides ----

  /** Writes bytes; the future completes once they are written (or the connection closed). */
  protected abstract Future<Void> write(ByteBuf bytes);

  /** Writes a record the live feed read; {@code s.next} already stands past it. */
  protected abstract void writeLive(Subscription s, FeedRecord r);

  /** Writes a record a catch-up read found; {@code s.next} already stands past it. */
  protected abstract void writePast(Subscription s, ConsumerRecord<byte[], byte[]> r);

  /** Sends a protocol message ({@code reset}, {@code error}...): {@code type} names it. */
  protected abstract void event(JsonObject message);

  /** The client stalled: send {@code error} (the problem, with {@code resume}: topic to partition to offset) and close. */
  protected abstract void overBudget(ApiError error, JsonObject resume);

  /** Bytes of live records gathered by {@link #writeLive} but not yet handed to {@link #out}. */
  protected int pendingBytes() {
    return 0;
  }

  /** After a pass of live records: a transport that gathers them into one write makes it here. */
  protected void flushLive() {}

  /** The client became congested, or drained; transports with other sources of records pause them. */
  protected void congestionChanged(boolean now) {}

  /** The connection is gone; transports release what else they hold. */
  protected void closing() {}

  // ---- subscribing ----

  /** True while the topic is subscribed or a subscribe of it is under way. */
  protected final boolean holds(String topic) {
    return subs.containsKey(topic) || starter.starting(topic);
  }

  /** True while a subscribe of the topic is under way. */
  protected final boolean starting(String topic) {
    return starter.starting(topic);
  }

  /**
   * Subscribes to every topic or to none (see {@link SubscriptionStarter}). Throws {@link ApiError} for what is
   * refused at once (limits, a topic already held, a bad {@code from}).
   *
   * @param filterFor  each topic's filter: the client's own and the one its identity forces on the topic, as one
   * @param fromFor    where each topic starts ({@code "latest"}, {@code "earliest"}, {@link Resume}...)
   * @param partitions looks up a topic's partition count
   * @return completes once every topic is registered; fails with nothing of it left registered otherwise
   */
  protected final Future<Void> subscribe(String id, List<String> topics, Function<String, RecordFilter> filterFor,
      Function<String, Object> fromFor, Function<String, Future<Integer>> partitions) {
    return starter.subscribe(id, topics, filterFor, fromFor, partitions);
  }

  /** Once the client was told it is subscribed: the subscriptions of these topics that start in the past read it. */
  protected final void readPasts(List<String> topics) {
    for (String topic : topics) {
      Subscription s = subs.get(topic);
      if (s != null) {
        past.start(s);
      }
    }
  }

  void register(Subscription s) {
    subs.put(s.topic, s);
    pass.forget();
    c.fanout().register(s.topic, this);
    c.feed().want(s.topic);
    c.streams().subscriptions().incrementAndGet();
  }

  protected final void drop(String topic) {
    Subscription s = subs.remove(topic);
    if (s == null) {
      return;
    }
    pass.forget();
    c.fanout().unregister(topic, this);
    c.feed().unwant(topic);
    c.streams().subscriptions().decrementAndGet();
    past.end(s);
  }

  // ---- feed to client ----

  /** The live feed started a partition of a subscribed topic (first subscriber, or a partition added). */
  void partitionStarted(TopicPartition tp, long offset) {
    Subscription s = subs.get(tp.topic());
    if (s != null && s.latest) {
      s.next.putIfAbsent(tp.partition(), offset);
      if (s.positioned != null && s.next.size() >= s.partitions) {
        s.positioned.tryComplete();
        s.positioned = null;
      }
    }
  }

  /** The feed's delivery of the partition jumps ahead to {@code offset}: a subscription riding it hears a reset. */
  void partitionReset(TopicPartition tp, long offset) {
    Subscription s = subs.get(tp.topic());
    Long next = s == null || s.offFeed() || closed ? null : s.next.put(tp.partition(), offset);
    if (next != null && next != offset) {
      event(new JsonObject().put("type", "reset").put("id", s.id).put("topic", s.topic).put("partition", tp.partition())
          .put("requested", next).put("offset", offset));
    }
  }

  /**
   * The live feed's records of one topic, in order; each frame is the shared, already encoded one. What does not
   * fit in the budget is not written (it catches up from Kafka later). {@code measure}: sample the pass's latency.
   */
  void deliverLive(List<FeedRecord> records, boolean measure) {
    Subscription s = pass.subscription(subs, records.get(0).topic());
    if (s == null || s.offFeed() || closed) {
      return;
    }
    pass.deliver(this, s, records, measure ? latency() : null);
  }

  // ---- writing ----

  /**
   * Every byte goes out here, counted in the budget until its write completes (the kernel took it, or the
   * connection closed). Live records wrap the shared bytes: nothing is copied per client.
   */
  protected final void out(ByteBuf bytes) {
    int n = bytes.readableBytes();
    budget.queued(n);
    write(bytes).onComplete(ar -> budget.written(n));
  }

  /** {@code n} bytes of live records handed to the transport; {@code written} (null: a later call's) completes them. */
  protected final void outLive(int n, Future<Void> written) {
    pass.wrote(n, written);
  }

  /** The transport's name in metrics: {@code ws} or {@code sse}. */
  protected String transport() {
    return "ws";
  }

  final io.micrometer.core.instrument.Timer latency() {
    return c.feed().latency().delivery(transport());
  }

  /** Runs {@code then} once the client drained; meanwhile, a client that takes nothing is closed. */
  final void whenDrained(Runnable then) {
    budget.whenDrained(then);
    watchStall();
  }

  /** While something waits for the client to drain, a whole {@code ws.stallSeconds} without a write completed closes it. */
  private void watchStall() {
    if (stallTimer >= 0 || closed || !budget.waiting()) {
      return;
    }
    long seen = budget.completions();
    stallTimer = c.context().owner().setTimer(c.config().stallSeconds() * 1000L, t -> {
      stallTimer = -1;
      if (!closed && budget.waiting()) {
        if (budget.completions() == seen) {
          tooSlow();
        } else {
          watchStall();
        }
      }
    });
  }

  protected final boolean congested() {
    return budget.congested();
  }

  /** After writes not made by the live feed: past half the budget, the client is congested. */
  protected final void checkCongestion() {
    budget.check();
  }

  /** Writes the client completed so far: unchanged while it takes nothing. */
  protected final long taken() {
    return budget.completions();
  }

  /** True when bytes handed to the transport are still waiting for the client to take them. */
  protected final boolean hasQueued() {
    return budget.queued() > 0;
  }

  protected final void error(String id, ApiError e) {
    event(errorFrame(id, e));
  }

  /** An {@code error} message: the problem's status, title and detail, and its type URI as {@code problem}. */
  protected static JsonObject errorFrame(String id, ApiError e) {
    return new JsonObject().put("type", "error").put("id", id).put("status", e.status()).put("title", e.title())
        .put("detail", e.detail()).put("problem", e.type());
  }

  /** Where every subscription stands: topic to partition to the next offset. */
  protected final JsonObject positions() {
    JsonObject resume = new JsonObject();
    subs.values().forEach(s -> {
      JsonObject p = new JsonObject();
      new TreeMap<>(s.next).forEach((partition, offset) -> p.put(String.valueOf(partition), offset));
      resume.put(s.topic, p);
    });
    return resume;
  }

  /** The client stopped taking bytes: the transport says where to resume and closes. Others never wait for it. */
  protected final void tooSlow() {
    if (closed) {
      return;
    }
    c.slowClosed().increment();
    overBudget(ApiError.tooSlow("the client took nothing for " + c.config().stallSeconds() + " s while "
        + c.config().budgetBytes() + " bytes waited for it; reconnect and resume from these positions"), positions());
    cleanUp();
  }

  /** The connection closed (or is being closed): the client leaves every topic. */
  protected final void cleanUp() {
    closed = true;
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    c.context().owner().cancelTimer(stallTimer); // -1 when none is set: nothing to cancel
    budget.clear();
    onClose.run();
    for (String topic : new ArrayList<>(subs.keySet())) {
      drop(topic);
    }
    closing();
    c.sessions().decrementAndGet();
  }
}
