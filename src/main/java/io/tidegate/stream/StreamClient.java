package io.tidegate.stream;

import io.netty.buffer.ByteBuf;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.codec.RecordFilter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A streaming client, whatever its transport (WebSocket or Server-Sent Events): its subscriptions, where each
 * stands on every partition, and its outbound byte budget. Lives on its connection's event loop.
 *
 * <p>Delivery per partition is by offset: a subscription knows the next offset it owes the client and takes
 * from the live feed only records at or after it. A subscription that starts in the past reads from Kafka
 * ({@link CatchUpReader}) until it has delivered up to where the live feed stands on this loop, then rides
 * the feed: no gap and no duplicate at the seam.
 *
 * <p>Every byte written is counted until its write completes. Past half the budget the client is congested
 * (the live feed may pause for it, a catch-up read waits); it drains at a quarter; at the full budget the
 * transport closes it ({@link #overBudget}) with the offsets to resume from.
 */
public abstract class StreamClient {
  protected final StreamContext c;
  protected final Map<String, Subscription> subs = new LinkedHashMap<>();
  protected boolean closed;
  private boolean cleanedUp;
  /** The outbound queue is past half the budget; cleared when it drains to a quarter. */
  private boolean congested;
  /** Bytes handed to the transport whose write has not completed yet (Vert.x's queue and Netty's together). */
  private long queued;
  private final long congestedAt;
  private final long drainedAt;
  /** Catch-up reads waiting for the client to drain. */
  private final List<Runnable> drainWaiters = new ArrayList<>();
  private final Runnable onClose;
  /** How long a {@code latest} subscription waits for the live feed to stand on every partition. */
  protected static final long POSITION_TIMEOUT_MS = 30_000;

  protected StreamClient(StreamContext context, Runnable onClose) {
    this.c = context;
    this.onClose = onClose;
    congestedAt = context.config().budgetBytes() / 2;
    drainedAt = context.config().budgetBytes() / 4;
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

  /** The budget is used up: tell the client where to resume ({@code resume}: topic to partition to offset) and close. */
  protected abstract void overBudget(JsonObject resume);

  // ---- subscriptions ----

  /** Resolves where the subscription starts on every partition, then registers it. */
  protected final Future<Void> startAt(String id, String topic, RecordFilter filter, Object from, int partitions) {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(topic, p));
    }
    boolean latest = "latest".equals(from);
    Map<Integer, Long> live = latest ? c.fanout().livePositions(topic) : Map.of();
    if (latest && live.size() >= partitions) {
      // the feed already reads every partition here: start where it stands
      Subscription s = new Subscription(id, topic, filter, true);
      s.next.putAll(live);
      register(s);
      return Future.succeededFuture();
    }
    if (latest) {
      // The feed is not positioned on every partition yet: ride it from where it starts, and say
      // "subscribed" only once it stands on every partition, so that nothing published after that reply can
      // be missed. No read of the past is needed.
      Subscription s = new Subscription(id, topic, filter, true);
      s.partitions = partitions;
      io.vertx.core.Promise<Void> positioned = io.vertx.core.Promise.promise();
      s.positioned = positioned;
      s.next.putAll(live);
      register(s);
      long timer = c.context().owner().setTimer(POSITION_TIMEOUT_MS, t -> positioned.tryFail(ApiError.unavailable(
          "the gateway could not start reading '" + topic + "' from Kafka in time; retry shortly", 1)));
      return positioned.future().onComplete(ar -> c.context().owner().cancelTimer(timer));
    }
    Future<Map<Integer, Long>> start;
    if ("earliest".equals(from)) {
      start = offsets(tps, OffsetSpec.earliest());
    } else if (from instanceof JsonObject f && f.getValue("timestamp") instanceof Number ts) {
      start = offsets(tps, OffsetSpec.forTimestamp(ts.longValue()))
          .compose(byTime -> offsets(tps, OffsetSpec.latest()).map(end -> {
            Map<Integer, Long> out = new HashMap<>(end);
            byTime.forEach((p, o) -> {
              if (o >= 0) {
                out.put(p, o);
              }
            });
            return out;
          }));
    } else if (from instanceof JsonObject f && f.getValue("offsets") instanceof JsonObject all) {
      Object mine = all.getValue(topic);
      if (mine != null && !(mine instanceof JsonObject)) {
        return Future.failedFuture(ApiError.badRequest("'from.offsets." + topic + "' must map partitions to offsets"));
      }
      Map<Integer, Long> asked = new HashMap<>();
      if (mine instanceof JsonObject m) {
        for (String p : m.fieldNames()) {
          int partition;
          try {
            partition = Integer.parseInt(p);
          } catch (NumberFormatException e) {
            return Future.failedFuture(ApiError.badRequest("partition '" + p + "' is not a number"));
          }
          if (partition < 0 || partition >= partitions) {
            return Future.failedFuture(ApiError.badRequest("topic '" + topic + "' has no partition " + partition));
          }
          if (!(m.getValue(p) instanceof Number o) || o.longValue() < 0) {
            return Future.failedFuture(ApiError.badRequest("the offset for partition " + p + " must be a non-negative integer"));
          }
          asked.put(partition, ((Number) m.getValue(p)).longValue());
        }
      }
      start = clamped(id, topic, tps, asked, false);
    } else if (from instanceof Resume r) {
      for (int p : r.offsets().keySet()) {
        if (p >= partitions) {
          return Future.failedFuture(ApiError.badRequest("topic '" + topic + "' has no partition " + p));
        }
      }
      start = clamped(id, topic, tps, r.offsets(), true);
    } else {
      return Future.failedFuture(ApiError.badRequest(
          "'from' is \"latest\", \"earliest\", {\"timestamp\":ms} or {\"offsets\":{\"topic\":{\"partition\":offset}}}"));
    }
    return start.compose(offsets -> {
      if (closed) {
        return Future.succeededFuture();
      }
      if (!c.catchUps().tryAcquire()) {
        return Future.failedFuture(ApiError.overloaded("too many subscriptions reading the past at once; retry shortly"));
      }
      Subscription s = new Subscription(id, topic, filter, latest);
      s.next.putAll(offsets);
      s.catchUp = new CatchUpReader(c.clients(), c.catchUpWorkers(), topic, offsets);
      register(s);
      return Future.succeededFuture();
    });
  }

  /** Where a resume starts: a cursor's positions; partitions it does not name were not read yet, so start at their beginning. */
  public record Resume(Map<Integer, Long> offsets) {}

  /**
   * The asked offsets, within what the log holds; partitions not asked start at the end (or the beginning).
   * An offset the log no longer holds is announced with a {@code reset} and starts at the log's beginning.
   */
  private Future<Map<Integer, Long>> clamped(String id, String topic, List<TopicPartition> tps, Map<Integer, Long> asked,
      boolean othersFromBeginning) {
    return offsets(tps, OffsetSpec.earliest()).compose(begin -> offsets(tps, OffsetSpec.latest()).map(end -> {
      Map<Integer, Long> out = new HashMap<>();
      for (int p = 0; p < tps.size(); p++) {
        Long want = asked.get(p);
        long s = want == null ? (othersFromBeginning ? begin.get(p) : end.get(p))
            : Math.min(Math.max(want, begin.get(p)), end.get(p));
        if (want != null && want < begin.get(p)) {
          // the log no longer holds what was asked for: say where delivery resumes
          event(new JsonObject().put("type", "reset").put("id", id).put("topic", topic).put("partition", p)
              .put("requested", want).put("offset", begin.get(p)));
        }
        out.put(p, s);
      }
      return out;
    }));
  }

  private Future<Map<Integer, Long>> offsets(List<TopicPartition> tps, OffsetSpec spec) {
    return c.topics().offsets(c.context(), tps, spec).map(m -> {
      Map<Integer, Long> out = new HashMap<>();
      m.forEach((tp, o) -> out.put(tp.partition(), o));
      return out;
    });
  }

  private void register(Subscription s) {
    subs.put(s.topic, s);
    c.fanout().register(s.topic, this);
    c.feed().want(s.topic);
  }

  protected final void drop(String topic) {
    Subscription s = subs.remove(topic);
    if (s == null) {
      return;
    }
    c.fanout().unregister(topic, this);
    c.feed().unwant(topic);
    endCatchUp(s);
  }

  private void endCatchUp(Subscription s) {
    if (s.catchUp != null) {
      s.catchUp.close();
      s.catchUp = null;
      c.catchUps().release();
    }
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

  /** The live feed's delivery of the partition jumps ahead to {@code offset}: a subscription riding it hears a reset. */
  void partitionReset(TopicPartition tp, long offset) {
    Subscription s = subs.get(tp.topic());
    Long next = s == null || s.catchUp != null || closed ? null : s.next.get(tp.partition());
    if (next != null && next != offset) {
      s.next.put(tp.partition(), offset);
      event(new JsonObject().put("type", "reset").put("id", s.id).put("topic", s.topic).put("partition", tp.partition())
          .put("requested", next).put("offset", offset));
    }
  }

  /** The live feed's records of one topic, in order; each frame is the shared, already encoded one. */
  void deliverLive(List<FeedRecord> records) {
    Subscription s = subs.get(records.get(0).topic());
    if (s == null || s.catchUp != null || closed) {
      return;
    }
    for (FeedRecord r : records) {
      if (closed) {
        return;
      }
      Long next = s.next.get(r.partition());
      if (next != null && r.offset() < next) {
        continue; // already delivered (the catch-up read past this point)
      }
      s.next.put(r.partition(), r.offset() + 1);
      if (r.matches(s.filter)) {
        writeLive(s, r);
        if (queued >= c.config().budgetBytes()) {
          tooSlow();
          return;
        }
      }
    }
    flushLive();
    if (queued >= c.config().budgetBytes()) {
      tooSlow();
      return;
    }
    if (queued >= congestedAt) {
      setCongested(true);
    }
  }

  /** After a pass of live records: a transport that gathers them into one write makes it here. */
  protected void flushLive() {}

  /** Once the client was told it is subscribed: the subscriptions of these topics that start in the past read it. */
  protected final void readPasts(List<String> topics) {
    for (String topic : topics) {
      Subscription s = subs.get(topic);
      if (s != null && s.catchUp != null) {
        readPast(s);
      }
    }
  }

  /** Reads the next chunk of the past; joins the live feed once delivery has reached it on every partition. */
  protected final void readPast(Subscription s) {
    CatchUpReader reader = s.catchUp;
    if (reader == null || closed) {
      return;
    }
    reader.next().onComplete(ar -> {
      if (s.catchUp != reader || closed) {
        return;
      }
      if (ar.failed()) {
        error(s.id, ErrorMapper.toApiError(ar.cause()));
        drop(s.topic);
        return;
      }
      deliverPast(s, reader, ar.result(), 0);
    });
  }

  /**
   * Writes a chunk of the past from {@code from} on. Reading the past is paced by the socket: when its queue
   * reaches the budget, writing waits for it to drain (the live feed, which cannot wait, closes instead).
   */
  private void deliverPast(Subscription s, CatchUpReader reader, List<ConsumerRecord<byte[], byte[]>> chunk, int from) {
    for (int i = from; i < chunk.size(); i++) {
      if (s.catchUp != reader || closed) {
        return;
      }
      if (queued >= congestedAt) {
        int resumeAt = i;
        whenDrained(() -> deliverPast(s, reader, chunk, resumeAt));
        return;
      }
      ConsumerRecord<byte[], byte[]> r = chunk.get(i);
      Long next = s.next.get(r.partition());
      if (next != null && r.offset() < next) {
        continue;
      }
      s.next.put(r.partition(), r.offset() + 1);
      if (s.filter.matches(r)) {
        writePast(s, r);
      }
    }
    if (reachedLive(s)) {
      endCatchUp(s);
    } else if (queued >= congestedAt) {
      whenDrained(() -> readPast(s));
    } else {
      readPast(s);
    }
  }

  /** True when, on every partition, this subscription has delivered up to where the live feed stands here. */
  private boolean reachedLive(Subscription s) {
    for (Map.Entry<Integer, Long> e : s.next.entrySet()) {
      Long live = c.fanout().liveNext(new TopicPartition(s.topic, e.getKey()));
      if (live == null || e.getValue() < live) {
        return false;
      }
    }
    return true;
  }

  // ---- writing ----

  /**
   * Every byte goes out here, counted in {@link #queued} until its write completes (the kernel took it, or
   * the connection closed). Live records wrap the shared bytes: nothing is copied per client.
   *
   * <p>The live feed writes a socket's whole share of a batch at once; its frames leave in a few flushes
   * (see {@link WsEndpoint}), each of which lets the kernel take what it can, so {@code queued} is what the
   * client has not taken. Past half the budget the socket is congested; at the budget it is closed with 1013.
   */
  protected final void out(ByteBuf bytes) {
    int n = bytes.readableBytes();
    queued += n;
    write(bytes).onComplete(ar -> {
          queued -= n;
          if (congested && queued <= drainedAt) {
            drained();
          }
        });
  }

  private void whenDrained(Runnable then) {
    setCongested(true);
    drainWaiters.add(then);
  }

  private void drained() {
    setCongested(false);
    if (!drainWaiters.isEmpty()) {
      List<Runnable> waiting = List.copyOf(drainWaiters);
      drainWaiters.clear();
      waiting.forEach(Runnable::run);
    }
  }

  protected final boolean congested() {
    return congested;
  }

  private void setCongested(boolean now) {
    if (congested != now && !cleanedUp) {
      congested = now;
      c.fanout().congestion(this, subs.keySet(), now);
      congestionChanged(now);
    }
  }

  /** After writes not made by the live feed: past half the budget, the client is congested. */
  protected final void checkCongestion() {
    if (queued >= congestedAt) {
      setCongested(true);
    }
  }

  /** The client became congested, or drained; transports with other sources of records pause them. */
  protected void congestionChanged(boolean now) {}

  /** The connection is gone; transports release what else they hold. */
  protected void closing() {}

  protected final void error(String id, ApiError e) {
    event(new JsonObject().put("type", "error").put("id", id).put("status", e.status()).put("title", e.title())
        .put("detail", e.detail()));
  }

  /** Where every subscription stands: topic to partition to the next offset. */
  protected final JsonObject positions() {
    JsonObject resume = new JsonObject();
    subs.values().forEach(s -> {
      JsonObject p = new JsonObject();
      new java.util.TreeMap<>(s.next).forEach((partition, offset) -> p.put(String.valueOf(partition), offset));
      resume.put(s.topic, p);
    });
    return resume;
  }

  /** Over budget: the transport says where to resume and closes. Others never wait for this client. */
  private void tooSlow() {
    c.slowClosed().increment();
    overBudget(positions());
    closed = true;
    cleanUp();
  }

  /** The connection closed (or is being closed): the client leaves every topic. */
  protected final void cleanUp() {
    closed = true;
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    onClose.run();
    for (String topic : new ArrayList<>(subs.keySet())) {
      drop(topic);
    }
    closing();
    c.sessions().decrementAndGet();
  }
}
