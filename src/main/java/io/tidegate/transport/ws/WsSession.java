package io.tidegate.transport.ws;

import io.tidegate.auth.Access;
import io.tidegate.auth.AuthPolicy;
import io.tidegate.auth.Deadlines;
import io.tidegate.auth.Identity;
import io.tidegate.auth.SubjectLimits;
import io.tidegate.stream.StreamClient;
import io.tidegate.stream.StreamContext;
import io.tidegate.stream.Subscription;
import io.netty.buffer.Unpooled;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.stream.FeedRecord;
import io.tidegate.stream.group.GroupMemberships;
import io.tidegate.codec.RecordEncoder;
import io.tidegate.codec.RecordFilter;
import io.vertx.core.Future;
import io.netty.buffer.ByteBuf;
import io.vertx.core.http.ServerWebSocket;
import io.tidegate.transport.wire.FrameWriter;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One WebSocket client: its protocol ({@code auth}, {@code subscribe}, {@code unsubscribe}, {@code publish},
 * {@code ping}, {@code commit}) over the delivery {@link StreamClient} provides, its keep-alive, and its identity
 * ({@link WsAuth}). Lives on the socket's event loop.
 */
final class WsSession extends StreamClient implements WsAuth.Socket {
  private final ServerWebSocket ws;
  private final WsWrites writes;
  private final WsPublisher publisher;
  /** Pings sent since the client last answered one (or took a byte). */
  private int unanswered;
  private boolean answered;
  private long takenAtLastPing;
  private final GroupMemberships groups;
  private final WsAuth auth;

  /** @param identity established at the handshake, or null when the socket must send an {@code auth} frame */
  WsSession(ServerWebSocket ws, FrameWriter frames, StreamContext context, WsPublisher publisher, AuthPolicy policy,
      Deadlines deadlines, Identity identity, SubjectLimits.Slot slot, Runnable onClose) {
    super(context, onClose);
    this.ws = ws;
    this.writes = new WsWrites(ws, frames);
    this.publisher = publisher;
    this.groups = new GroupMemberships(context.context(), context.groupMembers(), context.groupCommits(),
        context.clients()::groupConsumer, context.topics()::batch, POSITION_TIMEOUT_MS, new GroupClient());
    this.auth = new WsAuth(policy, deadlines, identity, slot, ws, this);
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
    writes.ping();
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
    String id = msg.getValue("id") == null ? null : String.valueOf(msg.getValue("id"));
    try {
      Object type = msg.getValue("type");
      if (!(type instanceof String t)) {
        throw ApiError.badRequest("'type' must be one of auth, subscribe, unsubscribe, publish, commit, ping");
      }
      if (!t.equals("auth") && !t.equals("ping")) {
        auth.access(); // 401 until the socket has authenticated
      }
      switch (t) {
        case "auth" -> auth.auth(id, msg);
        case "subscribe" -> subscribe(id, msg);
        case "unsubscribe" -> unsubscribe(id, msg);
        case "publish" -> publisher.publish(id, msg, text, auth.access(), this::send, this::error);
        case "ping" -> send(new JsonObject().put("type", "pong").put("id", id));
        case "commit" -> groups.commit(id, msg);
        default -> throw ApiError.badRequest("unknown type '" + t + "' (auth, subscribe, unsubscribe, publish, commit, "
            + "ping)");
      }
    } catch (RuntimeException e) {
      error(id, ErrorMapper.toApiError(e));
    }
  }

  private void subscribe(String id, JsonObject msg) {
    List<String> topics = WsFrames.topics(msg, c.config().maxTopicsPerSubscribe());
    for (String topic : topics) {
      if (holds(topic) || groups.reads(topic)) {
        throw ApiError.conflict("already subscribed to '" + topic + "'; unsubscribe first");
      }
    }
    Access access = auth.access();
    topics.forEach(access::subscribe);
    if (msg.containsKey("group")) {
      if (msg.getValue("group") instanceof String group) {
        access.join(group);
      }
      groups.join(id, msg, topics, access::filterFor);
      return;
    }
    RecordFilter filter = RecordFilter.parse(msg.getValue("filter"));
    Object from = msg.getValue("from", "latest");
    var lookup = c.topics().batch(topics);
    subscribe(id, topics, t -> access.filterFor(t, filter), t -> from, t -> lookup.apply(t).map(info -> info.partitions()))
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
      if (!subs.containsKey(topic) && !groups.reads(topic)) {
        throw ApiError.notFound("not subscribed to '" + topic + "'");
      }
    }
    groups.checkLeave(topics);
    groups.leave(topics);
    topics.stream().filter(subs::containsKey).forEach(this::drop);
    send(new JsonObject().put("type", "unsubscribed").put("id", id).put("topics", new JsonArray(topics)));
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
    auth.close();
    groups.closeAll();
  }

  /** Shutdown ({@link WsDrain}): live subscriptions and group memberships end; answers where they stood. */
  JsonObject endSubscriptions() {
    JsonObject at = positions();
    List.copyOf(subs.keySet()).forEach(this::drop);
    groups.closeAll();
    return at;
  }

  // ---- identity: WsAuth ----

  @Override
  public void refuse(String id, ApiError e) {
    error(id, e);
  }

  /** A last error frame with the offsets to resume from (the too-slow close's positions), then close. */
  @Override
  public void expel(String id, ApiError e, short code, String reason) {
    if (!closed) {
      send(errorFrame(id, e).put("offsets", positions()));
      ws.close(code, reason);
      cleanUp();
    }
  }

  /**
   * A replacement token: subscriptions and group memberships it no longer allows, or allows only through another
   * row-level filter, end, told in one {@code unsubscribed} frame (the auth frame's id, 403, the ended offsets).
   */
  @Override
  public void narrow(String id, Access before, Access next) {
    JsonObject at = positions();
    JsonObject offsets = new JsonObject();
    List<String> ended = new ArrayList<>();
    for (String topic : List.copyOf(subs.keySet())) {
      if (!WsAuth.allows(() -> next.subscribe(topic)) || WsAuth.refilters(before, next, topic)) {
        ended.add(topic);
        offsets.put(topic, at.getJsonObject(topic));
        drop(topic);
      }
    }
    groups.memberships().forEach((group, topics) -> {
      boolean readable = topics.stream()
          .allMatch(t -> WsAuth.allows(() -> next.subscribe(t)) && !WsAuth.refilters(before, next, t));
      if (!readable || !WsAuth.allows(() -> next.join(group))) {
        groups.leave(topics);
        ended.addAll(topics);
      }
    });
    if (!ended.isEmpty()) {
      send(new JsonObject().put("type", "unsubscribed").put("id", id).put("topics", new JsonArray(ended))
          .put("status", 403).put("detail", "the new token does not allow these subscriptions").put("offsets", offsets));
    }
  }

  // ---- the transport ----

  // data frames straight into the channel, live ones one completion per pass (WsWrites, FrameWriter)
  @Override
  protected Future<Void> write(ByteBuf bytes) { return writes.text(bytes); }
  @Override
  protected void writeLive(Subscription s, FeedRecord r) { outLive(writes.live(r), null); }
  @Override
  protected void flushLive() { outLive(0, writes.flushLive()); }

  @Override
  protected void writePast(Subscription s, ConsumerRecord<byte[], byte[]> r) {
    out(Unpooled.wrappedBuffer(RecordEncoder.encode(r, "record")));
  }

  @Override
  protected void event(JsonObject message) {
    send(message);
  }

  @Override
  public void send(JsonObject frame) {
    if (!closed) {
      out(Unpooled.wrappedBuffer(frame.toBuffer().getBytes()));
    }
  }

  /** A last error frame (503, too slow) with the offsets to resume from, then close 1013. */
  @Override
  protected void overBudget(ApiError error, JsonObject resume) {
    send(errorFrame(null, error).put("resume", resume)); // as every data frame: in order after them
    ws.close((short) 1013, "too slow");
  }
}
