package io.tidegate.transport.sse;

import io.tidegate.stream.Resume;
import io.tidegate.stream.StreamClient;
import io.tidegate.transport.wire.Wire;
import io.tidegate.stream.StreamContext;
import io.tidegate.stream.Subscription;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.stream.FeedRecord;
import io.tidegate.codec.RecordEncoder;
import io.tidegate.codec.RecordFilter;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One Server-Sent Events stream: the same subscriptions, shared live feed and byte budget as a WebSocket
 * client, written as {@code event: record} with the record in {@code data:} and an {@code id:} that is the
 * stream's {@link SseCursor} after that record. Lives on the connection's event loop.
 */
final class SseSession extends StreamClient {
  private static final byte[] HEARTBEAT = ":\n\n".getBytes(StandardCharsets.US_ASCII);
  private final HttpServerResponse response;
  private final List<String> topics;

  SseSession(HttpServerResponse response, StreamContext context, List<String> topics, Runnable onClose) {
    super(context, onClose);
    this.response = response;
    this.topics = List.copyOf(topics);
    response.closeHandler(v -> cleanUp());
    response.exceptionHandler(e -> cleanUp());
  }

  /**
   * Starts every topic where asked ({@code resume} holds a cursor's positions, which win over {@code from}),
   * then sends {@code event: subscribed} with the starting cursor as its id, so that a client that reconnects
   * before any record resumes from there.
   */
  void start(Function<String, RecordFilter> filterFor, Object from, Map<String, Map<Integer, Long>> resume,
      Map<String, Integer> partitions) {
    Future<Void> started;
    try {
      started = subscribe(null, topics, filterFor, topic -> {
        Map<Integer, Long> at = resume == null ? null : resume.get(topic);
        return at == null ? from : new Resume(at);
      }, topic -> Future.succeededFuture(partitions.get(topic)));
    } catch (RuntimeException e) {
      started = Future.failedFuture(e);
    }
    started.onComplete(ar -> {
      if (closed) {
        return;
      }
      if (ar.failed()) {
        error(null, ErrorMapper.toApiError(ar.cause()));
        finish();
        return;
      }
      out(Unpooled.wrappedBuffer(("event: subscribed\ndata: " + new JsonObject().put("topics", new JsonArray(topics))
          .encode() + "\n").getBytes(StandardCharsets.UTF_8), idLine()));
      readPasts(topics);
    });
  }

  void heartbeat() {
    if (!closed) {
      out(Unpooled.wrappedBuffer(HEARTBEAT));
    }
  }

  /** Ends the stream (shutdown, or an error after it started); the client's EventSource reconnects. */
  void finish() {
    if (!closed) {
      closed = true;
      response.end();
      cleanUp();
    }
  }

  /**
   * Graceful stop: {@code event: draining} with the positions reached (topic to partition to next offset), then
   * the stream ends. The event has no {@code id:}, so the client's last event id stays its last record's (or the
   * {@code subscribed} one's): an EventSource reconnecting with it, to another gateway, gets every later record once.
   */
  void drain() {
    if (!closed) {
      event(new JsonObject().put("type", "draining").put("offsets", positions()));
      finish();
    }
  }

  /**
   * The token lapsed: a last {@code event: error} (a 401 problem, no {@code id}, so the client's last event id
   * stays its last record's), then the stream ends. A reconnect with a new token and that id loses nothing.
   */
  void expire(ApiError error) {
    if (!closed) {
      error(null, error);
      finish();
    }
  }

  // ---- the transport ----

  @Override
  protected Future<Void> write(ByteBuf bytes) {
    return response.write(Wire.buffer(bytes));
  }

  /**
   * A pass of live records (up to 16) goes out as one write, so as one HTTP chunk: the chunk framing and the
   * write path are paid once per pass rather than once per record.
   */
  @Override
  protected void writeLive(Subscription s, FeedRecord r) {
    if (pending == null) {
      pending = Unpooled.compositeBuffer(64);
    }
    pending.addComponent(true, Unpooled.wrappedBuffer(r.sse()));
    pending.addComponent(true, Unpooled.wrappedBuffer(idLine()));
  }

  @Override
  protected void flushLive() {
    io.netty.buffer.CompositeByteBuf p = pending;
    if (p != null) {
      pending = null;
      outLive(p.readableBytes(), write(p));
    }
  }

  private io.netty.buffer.CompositeByteBuf pending;

  @Override
  protected String transport() {
    return "sse";
  }

  @Override
  protected int pendingBytes() {
    return pending == null ? 0 : pending.readableBytes();
  }

  @Override
  protected void writePast(Subscription s, ConsumerRecord<byte[], byte[]> r) {
    out(Unpooled.wrappedBuffer(FeedRecord.sseEvent(RecordEncoder.encode(r, null), 1), idLine()));
  }

  private byte[] idLine() {
    return SseCursor.idLine(topics, subs);
  }

  /**
   * {@code event: <type>} with the message (less its type and id) as data; JSON has no raw line breaks. An
   * {@code error}'s data is a problem body: its {@code type} is the problem's type URI.
   */
  @Override
  protected void event(JsonObject message) {
    if (closed) {
      return;
    }
    out(Unpooled.wrappedBuffer(eventBytes(message)));
  }

  private static byte[] eventBytes(JsonObject message) {
    JsonObject data = message.copy();
    Object type = data.remove("type");
    data.remove("id");
    Object problem = data.remove("problem");
    if (problem != null) {
      JsonObject body = new JsonObject().put("type", problem);
      data = body.mergeIn(data);
    }
    return ("event: " + type + "\ndata: " + data.encode() + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The stream took nothing for a while with a budget waiting: a last {@code error} event (a 503 problem, with
   * the positions reached), then the connection closes. The EventSource reconnects with the last id it
   * received and loses nothing.
   */
  @Override
  protected void overBudget(ApiError error, JsonObject resume) {
    response.write(Buffer.buffer(eventBytes(errorFrame(null, error).put("resume", resume))));
    response.reset();
  }
}
