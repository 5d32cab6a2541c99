package io.tidegate.ws;

import io.netty.buffer.Unpooled;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.kafka.FeedRecord;
import io.tidegate.kafka.Publisher.Ack;
import io.tidegate.kafka.Publisher.Failed;
import io.tidegate.kafka.Publisher.Outcome;
import io.tidegate.record.PublishRecord;
import io.tidegate.record.RecordEncoder;
import io.tidegate.record.RecordParser;
import io.tidegate.record.TopicNames;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.websocket.WebSocketFrameImpl;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
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
 * One WebSocket client: its protocol ({@code subscribe}, {@code unsubscribe}, {@code publish}, {@code ping}),
 * its subscriptions and its outbound byte budget. Lives on the socket's event loop.
 *
 * <p>Delivery per partition is by offset: a subscription knows the next offset it owes the client and takes
 * from the live feed only records at or after it. A subscription that starts in the past reads from Kafka
 * ({@link CatchUpReader}) until it has delivered up to where the live feed stands on this loop, then rides
 * the feed: no gap and no duplicate at the seam.
 */
final class WsSession {
  private final ServerWebSocket ws;
  private final WsContext c;
  private final Map<String, Subscription> subs = new LinkedHashMap<>();
  private boolean closed;
  private boolean cleanedUp;
  /** The outbound queue is past half the budget; cleared when it drains to a quarter. */
  private boolean congested;
  /** Bytes handed to the socket whose write has not completed yet (Vert.x's queue and Netty's together). */
  private long queued;
  private final long congestedAt;
  private final long drainedAt;
  /** Catch-up reads waiting for the socket to drain. */
  private final List<Runnable> drainWaiters = new ArrayList<>();

  private final Runnable onClose;
  /** How long a {@code latest} subscribe waits for the live feed to stand on every partition. */
  private static final long POSITION_TIMEOUT_MS = 30_000;

  WsSession(ServerWebSocket ws, WsContext context, Runnable onClose) {
    this.ws = ws;
    this.c = context;
    this.onClose = onClose;
    // Past half its budget a socket is congested (the live feed may pause for it); it drains at a quarter.
    congestedAt = context.config().budgetBytes() / 2;
    drainedAt = context.config().budgetBytes() / 4;
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> error(null, ApiError.badRequest("frames are JSON text, one object per frame")));
    ws.exceptionHandler(e -> {
      if (e instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException c
          && c.closeStatus() != null && c.closeStatus().code() == 1009) {
        ws.close((short) 1009, "frame too big");
      }
    });
    ws.closeHandler(v -> cleanUp());
    // On shutdown the endpoint closes every socket with 1001 before the listener stops (WsEndpoint.closeAll).
  }

  // ---- client to gateway ----

  private void onText(String text) {
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      error(null, ApiError.malformedJson("a frame must be one JSON object"));
      return;
    }
    Object idValue = msg.getValue("id");
    String id = idValue == null ? null : String.valueOf(idValue);
    try {
      Object type = msg.getValue("type");
      if (!(type instanceof String t)) {
        throw ApiError.badRequest("'type' must be one of subscribe, unsubscribe, publish, ping");
      }
      switch (t) {
        case "subscribe" -> subscribe(id, msg);
        case "unsubscribe" -> unsubscribe(id, msg);
        case "publish" -> publish(id, msg);
        case "ping" -> send(new JsonObject().put("type", "pong").put("id", id));
        default -> throw ApiError.badRequest("unknown type '" + t + "' (subscribe, unsubscribe, publish, ping)");
      }
    } catch (RuntimeException e) {
      error(id, ErrorMapper.toApiError(e));
    }
  }

  private void subscribe(String id, JsonObject msg) {
    List<String> topics = topics(msg);
    for (String topic : topics) {
      if (subs.containsKey(topic)) {
        throw ApiError.conflict("already subscribed to '" + topic + "'; unsubscribe first");
      }
    }
    RecordFilter filter = RecordFilter.parse(msg.getValue("filter"));
    Object from = msg.getValue("from", "latest");
    List<Future<Void>> started = new ArrayList<>();
    for (String topic : topics) {
      started.add(c.topics().lookup(topic).compose(info -> startAt(id, topic, filter, from, info.partitions())));
    }
    Future.all(started).onComplete(ar -> {
      if (ar.failed()) {
        // undo what did start: a subscribe is all or nothing
        topics.forEach(t -> {
          Subscription s = subs.get(t);
          if (s != null && id != null && id.equals(s.id)) {
            drop(t);
          }
        });
        error(id, ErrorMapper.toApiError(ar.cause()));
      } else {
        send(new JsonObject().put("type", "subscribed").put("id", id).put("topics", new JsonArray(topics)));
        for (String topic : topics) {
          Subscription s = subs.get(topic);
          if (s != null && s.catchUp != null) {
            readPast(s);
          }
        }
      }
    });
  }

  private static List<String> topics(JsonObject msg) {
    Object raw = msg.getValue("topics");
    if (!(raw instanceof JsonArray arr) || arr.isEmpty()) {
      throw ApiError.badRequest("'topics' must be a non-empty array of topic names");
    }
    List<String> out = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String s)) {
        throw ApiError.badRequest("'topics' must hold strings");
      }
      if (!out.contains(s)) {
        out.add(TopicNames.validate(s));
      }
    }
    return out;
  }

  /** Resolves where the subscription starts on every partition, then registers it. */
  private Future<Void> startAt(String id, String topic, RecordFilter filter, Object from, int partitions) {
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
      start = offsets(tps, OffsetSpec.earliest()).compose(begin -> offsets(tps, OffsetSpec.latest()).map(end -> {
        Map<Integer, Long> out = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
          Long want = asked.get(p);
          long s = want == null ? end.get(p) : Math.min(Math.max(want, begin.get(p)), end.get(p));
          if (want != null && want < begin.get(p)) {
            // the log no longer holds what was asked for: say where delivery resumes
            send(new JsonObject().put("type", "reset").put("id", id).put("topic", topic).put("partition", p)
                .put("requested", want).put("offset", begin.get(p)));
          }
          out.put(p, s);
        }
        return out;
      }));
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

  private void unsubscribe(String id, JsonObject msg) {
    List<String> topics = topics(msg);
    for (String topic : topics) {
      if (!subs.containsKey(topic)) {
        throw ApiError.notFound("not subscribed to '" + topic + "'");
      }
    }
    topics.forEach(this::drop);
    send(new JsonObject().put("type", "unsubscribed").put("id", id).put("topics", new JsonArray(topics)));
  }

  private void drop(String topic) {
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

  private void publish(String id, JsonObject msg) {
    if (!(msg.getValue("topic") instanceof String topic)) {
      throw ApiError.badRequest("'topic' must be a topic name");
    }
    TopicNames.validate(topic);
    JsonObject record = msg.copy();
    record.remove("type");
    record.remove("id");
    record.remove("topic");
    List<PublishRecord> records = RecordParser.parse(record.toBuffer().getBytes());
    Future<List<Outcome>> outcomes = c.publishing().submit(topic, records).outcomes();
    long timer = c.context().owner().setTimer(c.publishTimeoutMs(), t -> error(id, ApiError.timeout(
        "Kafka did not acknowledge within " + c.publishTimeoutMs() + " ms; the record may still be written", 5)));
    outcomes.onComplete(ar -> {
      if (!c.context().owner().cancelTimer(timer)) {
        return; // already answered with the timeout
      }
      if (ar.failed()) {
        error(id, ErrorMapper.toApiError(ar.cause()));
      } else if (ar.result().get(0) instanceof Ack a) {
        send(new JsonObject().put("type", "ack").put("id", id).put("topic", topic).put("partition", a.partition())
            .put("offset", a.offset()).put("timestamp", a.timestamp()));
      } else if (ar.result().get(0) instanceof Failed f) {
        error(id, f.error());
      }
    });
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
      if (s.filter.matches(r.record())) {
        out(r.frame());
        if (queued >= c.config().budgetBytes()) {
          tooSlow();
          return;
        }
      }
    }
    if (queued >= congestedAt) {
      setCongested(true);
    }
  }

  /** Reads the next chunk of the past; joins the live feed once delivery has reached it on every partition. */
  private void readPast(Subscription s) {
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
        out(RecordEncoder.encode(r, "record"));
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
   * Every frame goes out here, counted in {@link #queued} until its write completes (the kernel took it, or
   * the socket closed). The frame wraps the shared bytes: nothing is copied per socket.
   *
   * <p>The live feed writes a socket's whole share of a batch at once; its frames leave in a few flushes
   * (see {@link WsEndpoint}), each of which lets the kernel take what it can, so {@code queued} is what the
   * client has not taken. Past half the budget the socket is congested; at the budget it is closed with 1013.
   */
  private void out(byte[] frame) {
    int n = frame.length;
    queued += n;
    ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, Unpooled.wrappedBuffer(frame), true))
        .onComplete(ar -> {
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

  boolean congested() {
    return congested;
  }

  private void setCongested(boolean now) {
    if (congested != now && !cleanedUp) {
      congested = now;
      c.fanout().congestion(this, subs.keySet(), now);
    }
  }

  private void send(JsonObject frame) {
    if (!closed) {
      out(frame.toBuffer().getBytes());
    }
  }

  private void error(String id, ApiError e) {
    send(new JsonObject().put("type", "error").put("id", id).put("status", e.status()).put("title", e.title())
        .put("detail", e.detail()));
  }

  /** Over budget: a last frame with the offsets to resume from, then close 1013. Others never wait for it. */
  private void tooSlow() {
    JsonObject resume = new JsonObject();
    subs.values().forEach(s -> {
      JsonObject p = new JsonObject();
      s.next.forEach((partition, offset) -> p.put(String.valueOf(partition), offset));
      resume.put(s.topic, p);
    });
    ws.writeTextMessage(new JsonObject().put("type", "error").put("status", 1013).put("title", "Too slow")
        .put("detail", "the socket's outbound budget of " + c.config().budgetBytes() + " bytes is used up; "
            + "reconnect and subscribe from these offsets").put("resume", resume).encode());
    c.slowClosed().increment();
    closed = true;
    ws.close((short) 1013, "too slow");
    cleanUp();
  }

  private void cleanUp() {
    closed = true;
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    onClose.run();
    for (String topic : new ArrayList<>(subs.keySet())) {
      drop(topic);
    }
    c.sessions().decrementAndGet();
  }
}
