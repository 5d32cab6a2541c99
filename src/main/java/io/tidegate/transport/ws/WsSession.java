package io.tidegate.transport.ws;

import io.tidegate.stream.StreamClient;
import io.tidegate.stream.StreamContext;
import io.tidegate.stream.Subscription;
import io.tidegate.publish.PublishService;

import io.netty.buffer.Unpooled;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.stream.FeedRecord;
import io.tidegate.stream.group.GroupMemberships;
import io.tidegate.publish.Publisher.Ack;
import io.tidegate.publish.Publisher.Failed;
import io.tidegate.publish.Publisher.Outcome;
import io.tidegate.codec.PublishRecord;
import io.tidegate.codec.RecordEncoder;
import io.tidegate.codec.RecordFilter;
import io.tidegate.codec.RecordParser;
import io.tidegate.codec.TopicNames;
import io.vertx.core.Future;
import io.netty.buffer.ByteBuf;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.tidegate.transport.wire.Wire;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One WebSocket client: its protocol ({@code subscribe}, {@code unsubscribe}, {@code publish}, {@code ping})
 * over the delivery {@link StreamClient} provides. Lives on the socket's event loop.
 */
final class WsSession extends StreamClient {
  private final ServerWebSocket ws;

  private final PublishService publishing;
  private final long publishTimeoutMs;
  private final GroupMemberships groups;

  WsSession(ServerWebSocket ws, StreamContext context, PublishService publishing, long publishTimeoutMs,
      Runnable onClose) {
    super(context, onClose);
    this.ws = ws;
    this.publishing = publishing;
    this.publishTimeoutMs = publishTimeoutMs;
    this.groups = new GroupMemberships(context.context(), context.groupMembers(), context.groupCommits(),
        context.clients()::groupConsumer, context.topics()::lookup, POSITION_TIMEOUT_MS, new GroupClient());
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
        case "commit" -> groups.commit(id, msg);
        default -> throw ApiError.badRequest("unknown type '" + t + "' (subscribe, unsubscribe, publish, commit, ping)");
      }
    } catch (RuntimeException e) {
      error(id, ErrorMapper.toApiError(e));
    }
  }

  private void subscribe(String id, JsonObject msg) {
    List<String> topics = topics(msg);
    for (String topic : topics) {
      if (subs.containsKey(topic) || groups.reads(topic)) {
        throw ApiError.conflict("already subscribed to '" + topic + "'; unsubscribe first");
      }
    }
    if (msg.containsKey("group")) {
      groups.join(id, msg, topics);
      return;
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
        readPasts(topics);
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

  private void unsubscribe(String id, JsonObject msg) {
    List<String> topics = topics(msg);
    for (String topic : topics) {
      if (!subs.containsKey(topic) && !groups.reads(topic)) {
        throw ApiError.notFound("not subscribed to '" + topic + "'");
      }
    }
    groups.checkLeave(topics);
    groups.leave(topics);
    topics.stream().filter(subs::containsKey).forEach(this::drop);
    send(new JsonObject().put("type", "unsubscribed").put("id", id).put("topics", new JsonArray(topics)));
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
    Future<List<Outcome>> outcomes = publishing.submit(topic, records).outcomes();
    long timer = c.context().owner().setTimer(publishTimeoutMs, t -> error(id, ApiError.timeout(
        "Kafka did not acknowledge within " + publishTimeoutMs + " ms; the record may still be written", 5)));
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


  // ---- consumer groups: stream.group.GroupMemberships ----

  /** What a group membership needs of this socket. */
  private final class GroupClient implements GroupMemberships.Client {
    @Override
    public void send(JsonObject frame) {
      WsSession.this.send(frame);
    }

    @Override
    public void error(String id, ApiError e) {
      WsSession.this.error(id, e);
    }

    @Override
    public void records(List<ConsumerRecord<byte[], byte[]>> records) {
      records.forEach(r -> out(Unpooled.wrappedBuffer(RecordEncoder.encode(r, "record"))));
      checkCongestion();
    }

    @Override
    public boolean congested() {
      return WsSession.this.congested();
    }
  }

  @Override
  protected void congestionChanged(boolean now) {
    groups.congested(now);
  }

  @Override
  protected void closing() {
    groups.closeAll();
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

  /** A last frame with the offsets to resume from, then close 1013. */
  @Override
  protected void overBudget(JsonObject resume) {
    ws.writeTextMessage(new JsonObject().put("type", "error").put("status", 1013).put("title", "Too slow")
        .put("detail", "the socket's outbound budget of " + c.config().budgetBytes() + " bytes is used up; "
            + "reconnect and subscribe from these offsets").put("resume", resume).encode());
    ws.close((short) 1013, "too slow");
  }
}
