package io.tidegate.transport.ws;

import io.tidegate.stream.StreamClient;
import io.tidegate.stream.StreamContext;
import io.tidegate.stream.Subscription;

import io.netty.buffer.Unpooled;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.stream.FeedRecord;
import io.tidegate.stream.group.GroupMember;
import io.tidegate.codec.RecordEncoder;
import io.tidegate.codec.RecordFilter;
import io.vertx.core.Future;
import io.netty.buffer.ByteBuf;
import io.vertx.core.http.ServerWebSocket;
import io.tidegate.transport.wire.Wire;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * One WebSocket client: its protocol ({@code subscribe}, {@code unsubscribe}, {@code publish}, {@code ping},
 * {@code commit}) over the delivery {@link StreamClient} provides, and its keep-alive. Lives on the socket's
 * event loop.
 */
final class WsSession extends StreamClient {
  private static final io.vertx.core.buffer.Buffer PING = io.vertx.core.buffer.Buffer.buffer("tidegate");
  private final ServerWebSocket ws;
  private final WsPublisher publisher;
  /** Pings sent since the client last answered one (or took a byte). */
  private int unanswered;
  private boolean answered;
  private long takenAtLastPing;

  WsSession(ServerWebSocket ws, StreamContext context, WsPublisher publisher, Runnable onClose) {
    super(context, onClose);
    this.ws = ws;
    this.publisher = publisher;
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> error(null, ApiError.badRequest("frames are JSON text, one object per frame")));
    ws.pongHandler(b -> answered = true);
    ws.exceptionHandler(e -> {
      short code = WsCloseCodes.forFailure(e);
      if (code > 0 && !ws.isClosed()) {
        ws.close(code, WsCloseCodes.reason(code));
      }
    });
    ws.closeHandler(v -> cleanUp());
    // On shutdown the endpoint closes every socket with 1001 before the listener stops (WsEndpoint.closeAll).
  }

  /**
   * Called every {@code ws.pingSeconds}: pings the client. A client that answered none of the last two pings
   * and took no byte meanwhile is closed: with 1013 and its resume offsets when bytes wait for it (it stopped
   * reading), else with 1008. A quiet client that answers pings is never closed.
   */
  void keepAlive() {
    if (closed) {
      return;
    }
    if (answered || taken() != takenAtLastPing) {
      unanswered = 0;
    }
    answered = false;
    takenAtLastPing = taken();
    if (unanswered >= 2) {
      if (hasQueued()) {
        tooSlow();
      } else {
        ws.close(WsCloseCodes.POLICY, WsCloseCodes.reason(WsCloseCodes.POLICY));
      }
      return;
    }
    unanswered++;
    ws.writePing(PING);
  }

  // ---- client to gateway ----

  private void onText(String text) {
    answered = true;
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
        case "publish" -> publisher.publish(id, msg, text, this::send, this::error);
        case "ping" -> send(new JsonObject().put("type", "pong").put("id", id));
        case "commit" -> commit(id, msg);
        default -> throw ApiError.badRequest("unknown type '" + t + "' (subscribe, unsubscribe, publish, commit, ping)");
      }
    } catch (RuntimeException e) {
      error(id, ErrorMapper.toApiError(e));
    }
  }

  private void subscribe(String id, JsonObject msg) {
    List<String> topics = WsFrames.topics(msg, c.config().maxTopicsPerSubscribe());
    for (String topic : topics) {
      if (holds(topic) || memberOf.containsKey(topic)) {
        throw ApiError.conflict("already subscribed to '" + topic + "'; unsubscribe first");
      }
    }
    if (msg.containsKey("group")) {
      joinGroup(id, msg, topics);
      return;
    }
    RecordFilter filter = RecordFilter.parse(msg.getValue("filter"));
    Object from = msg.getValue("from", "latest");
    subscribe(id, topics, filter, t -> from, t -> c.topics().lookup(t).map(info -> info.partitions()))
        .onComplete(ar -> {
          if (ar.failed()) {
            error(id, ErrorMapper.toApiError(ar.cause()));
          } else {
            send(new JsonObject().put("type", "subscribed").put("id", id).put("topics", new JsonArray(topics)));
            readPasts(topics);
          }
        });
  }

  private void unsubscribe(String id, JsonObject msg) {
    List<String> topics = WsFrames.topics(msg, c.config().maxTopicsPerSubscribe());
    for (String topic : topics) {
      if (starting(topic)) {
        throw ApiError.conflict("a subscribe of '" + topic + "' is under way; unsubscribe once it is answered");
      }
      if (!subs.containsKey(topic) && !memberOf.containsKey(topic)) {
        throw ApiError.notFound("not subscribed to '" + topic + "'");
      }
      Membership m = memberOf.get(topic);
      if (m != null && !topics.containsAll(m.member.topics())) {
        throw ApiError.badRequest("group '" + m.member.group() + "' was joined for " + m.member.topics()
            + "; unsubscribe from all of them together");
      }
    }
    for (String topic : topics) {
      Membership m = memberOf.get(topic);
      if (m != null) {
        leave(m);
      }
    }
    topics.stream().filter(subs::containsKey).forEach(this::drop);
    send(new JsonObject().put("type", "unsubscribed").put("id", id).put("topics", new JsonArray(topics)));
  }

  // ---- consumer groups ----

  /** A group this socket is a member of, for some topics. */
  private static final class Membership {
    final String id;
    final GroupMember member;
    final RecordFilter filter;
    long joinTimer = -1;

    Membership(String id, GroupMember member, RecordFilter filter) {
      this.id = id;
      this.member = member;
      this.filter = filter;
    }
  }

  /** Topic to the group membership that reads it for this socket. */
  private final Map<String, Membership> memberOf = new HashMap<>();
  private final Map<String, Membership> memberships = new LinkedHashMap<>();

  /**
   * {@code "group":"billing"}: this socket joins the Kafka consumer group for these topics. {@code from} only
   * says where a group with no commits starts (earliest or latest); afterwards the group's commits decide.
   */
  private void joinGroup(String id, JsonObject msg, List<String> topics) {
    if (!(msg.getValue("group") instanceof String group) || group.isBlank() || group.length() > 249
        || group.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
      throw ApiError.badRequest("'group' must be a group name: 1 to 249 printable characters");
    }
    if (memberships.containsKey(group)) {
      throw ApiError.conflict("already a member of group '" + group + "' on this socket; unsubscribe first");
    }
    Object from = msg.getValue("from", "latest");
    if (!"latest".equals(from) && !"earliest".equals(from)) {
      throw ApiError.badRequest("a group member reads from the group's committed offsets; 'from' may only say where "
          + "a group with no commits starts: \"earliest\" or \"latest\"");
    }
    RecordFilter filter = RecordFilter.parse(msg.getValue("filter"));
    if (!c.groupMembers().tryAcquire()) {
      throw ApiError.overloaded("this gateway holds its maximum of group members; retry shortly or use another gateway");
    }
    List<Future<?>> lookups = new ArrayList<>();
    topics.forEach(t -> lookups.add(c.topics().lookup(t)));
    Membership[] self = new Membership[1];
    GroupMember member = new GroupMember(c.clients(), group, topics, (String) from, c.context(), new GroupMember.Listener() {
      @Override
      public void joined() {
        Membership m = self[0];
        if (m != null && m.joinTimer >= 0 && c.context().owner().cancelTimer(m.joinTimer)) {
          m.joinTimer = -1;
          send(new JsonObject().put("type", "subscribed").put("id", m.id).put("topics", new JsonArray(topics))
              .put("group", group));
        }
      }

      @Override
      public void assigned(java.util.Collection<TopicPartition> partitions) {
        send(new JsonObject().put("type", "assigned").put("group", group).put("partitions", byTopic(partitions)));
      }

      @Override
      public void revoked(java.util.Collection<TopicPartition> partitions) {
        send(new JsonObject().put("type", "revoked").put("group", group).put("partitions", byTopic(partitions)));
      }

      @Override
      public void records(List<ConsumerRecord<byte[], byte[]>> batch, Runnable taken) {
        Membership m = self[0];
        if (!closed && m != null && memberships.get(group) == m) {
          for (ConsumerRecord<byte[], byte[]> r : batch) {
            if (m.filter.matches(r)) {
              out(Unpooled.wrappedBuffer(RecordEncoder.encode(r, "record")));
            }
          }
          checkCongestion();
        }
        taken.run();
      }

      @Override
      public void failed(Throwable cause) {
        Membership m = self[0];
        if (m != null && memberships.get(group) == m) {
          forget(m);
          error(m.id, ApiError.unavailable("the group member stopped: " + cause.getMessage(), 1));
        }
      }
    });
    Membership m = new Membership(id, member, filter);
    self[0] = m;
    memberships.put(group, m);
    topics.forEach(t -> memberOf.put(t, m));
    Future.all(lookups).onComplete(ar -> {
      if (memberships.get(group) != m) {
        return;
      }
      if (ar.failed()) {
        forget(m);
        c.groupMembers().release();
        error(id, ErrorMapper.toApiError(ar.cause()));
        return;
      }
      m.joinTimer = c.context().owner().setTimer(POSITION_TIMEOUT_MS, t -> {
        m.joinTimer = -1;
        error(id, ApiError.unavailable("could not join group '" + group + "' in time; retry shortly", 1));
        leave(m);
      });
      if (congested()) {
        member.congested(true);
      }
      member.start("tidegate-member-" + group);
    });
  }

  private static JsonObject byTopic(java.util.Collection<TopicPartition> partitions) {
    JsonObject out = new JsonObject();
    List<TopicPartition> sorted = new ArrayList<>(partitions);
    sorted.sort(java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    for (TopicPartition tp : sorted) {
      JsonArray list = out.getJsonArray(tp.topic());
      if (list == null) {
        list = new JsonArray();
        out.put(tp.topic(), list);
      }
      list.add(tp.partition());
    }
    return out;
  }

  /** {@code {"type":"commit","topic","partition","offset"}}: the record at offset, and all before it, are done. */
  private void commit(String id, JsonObject msg) {
    if (!(msg.getValue("topic") instanceof String topic)) {
      throw ApiError.badRequest("'topic' must be a topic name");
    }
    if (!(msg.getValue("partition") instanceof Number p) || p.intValue() < 0 || p.doubleValue() != p.intValue()) {
      throw ApiError.badRequest("'partition' must be a non-negative integer");
    }
    if (!(msg.getValue("offset") instanceof Number o) || o.longValue() < 0 || o.doubleValue() != o.longValue()) {
      throw ApiError.badRequest("'offset' must be the offset of a record this member received");
    }
    Membership m = memberOf.get(topic);
    if (m == null) {
      throw ApiError.notFound("this socket is not a group member for '" + topic + "' (subscribe with \"group\" first)");
    }
    int partition = p.intValue();
    long offset = o.longValue();
    m.member.commit(new TopicPartition(topic, partition), offset).onComplete(ar -> {
      if (ar.succeeded()) {
        c.groupCommits().increment();
        send(new JsonObject().put("type", "committed").put("id", id).put("topic", topic).put("partition", partition)
            .put("offset", offset));
      } else {
        error(id, ErrorMapper.toApiError(ar.cause()));
      }
    });
  }

  /** Leaves the group: the member's consumer closes on its thread, and Kafka gives its partitions to the others. */
  private void leave(Membership m) {
    if (memberships.get(m.member.group()) == m) {
      forget(m);
      m.member.close().onComplete(v -> c.groupMembers().release());
    }
  }

  private void forget(Membership m) {
    memberships.remove(m.member.group());
    m.member.topics().forEach(t -> memberOf.remove(t, m));
    if (m.joinTimer >= 0) {
      c.context().owner().cancelTimer(m.joinTimer);
      m.joinTimer = -1;
    }
  }

  @Override
  protected void congestionChanged(boolean now) {
    memberships.values().forEach(m -> m.member.congested(now));
  }

  @Override
  protected void closing() {
    List.copyOf(memberships.values()).forEach(this::leave);
  }

  // ---- the transport ----

  @Override
  protected Future<Void> write(ByteBuf bytes) {
    return ws.writeFrame(Wire.textFrame(bytes));
  }

  @Override
  protected void writeLive(Subscription s, FeedRecord r) {
    out(Unpooled.wrappedBuffer(r.frame()));
  }

  @Override
  protected void writePast(Subscription s, ConsumerRecord<byte[], byte[]> r) {
    out(Unpooled.wrappedBuffer(RecordEncoder.encode(r, "record")));
  }

  @Override
  protected void event(JsonObject message) {
    send(message);
  }

  private void send(JsonObject frame) {
    if (!closed) {
      out(Unpooled.wrappedBuffer(frame.toBuffer().getBytes()));
    }
  }

  /** A last error frame (503, too slow) with the offsets to resume from, then close 1013. */
  @Override
  protected void overBudget(ApiError error, JsonObject resume) {
    ws.writeTextMessage(errorFrame(null, error).put("resume", resume).encode());
    ws.close((short) 1013, "too slow");
  }
}
