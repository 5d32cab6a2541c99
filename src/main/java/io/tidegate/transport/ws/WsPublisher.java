package io.tidegate.transport.ws;

import io.tidegate.auth.Access;

import io.tidegate.codec.PublishRecord;
import io.tidegate.codec.RecordParser;
import io.tidegate.codec.TopicNames;
import io.tidegate.error.ApiError;
import io.tidegate.error.ErrorMapper;
import io.tidegate.publish.Draining;
import io.tidegate.publish.PublishService;
import io.tidegate.publish.Publisher.Ack;
import io.tidegate.publish.Publisher.Failed;
import io.tidegate.publish.Publisher.Outcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A WebSocket {@code publish}: one record per frame, read from the frame's own bytes by the same parser as
 * HTTP publish, so a JSON value reaches Kafka exactly as the client wrote it ({@code 1.10} stays {@code 1.10},
 * big integers keep every digit). Answered with {@code ack} once Kafka acknowledged it, or an error.
 */
final class WsPublisher {
  /** The frame's own fields; everything else is the record's. */
  private static final Set<String> ENVELOPE = Set.of("type", "id", "topic");

  private final PublishService publishing;
  private final Vertx vertx;
  private final long timeoutMs;

  /** Publishes of this socket not answered yet, and who waits for them to be (the socket's drain). */
  private int waiting;
  private Promise<Void> whenAnswered;

  /** One per socket: it counts the socket's publishes waiting for Kafka. */
  WsPublisher(PublishService publishing, Vertx vertx, long timeoutMs) {
    this.publishing = publishing;
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
  }

  /** Completes once every publish of this socket made so far has been answered (on the socket's loop). */
  Future<Void> answered() {
    if (waiting == 0) {
      return Future.succeededFuture();
    }
    if (whenAnswered == null) {
      whenAnswered = Promise.promise();
    }
    return whenAnswered.future();
  }

  private void answered(Draining.Open open) {
    if (open != null) {
      open.close();
    }
    if (--waiting == 0 && whenAnswered != null) {
      Promise<Void> p = whenAnswered;
      whenAnswered = null;
      p.complete();
    }
  }

  /**
   * Publishes the frame's record. Throws {@link ApiError} for what is refused at once.
   *
   * @param msg   the frame, parsed (for its envelope)
   * @param text  the frame as received (for the record's bytes)
   * @param reply sends a frame to the client
   * @param error sends an error frame for the request {@code id}
   */
  void publish(String id, JsonObject msg, String text, Access access, Consumer<JsonObject> reply,
      BiConsumer<String, ApiError> error) {
    if (!(msg.getValue("topic") instanceof String topic)) {
      throw ApiError.badRequest("'topic' must be a topic name");
    }
    TopicNames.validate(topic);
    access.publish(topic);
    if (msg.containsKey("records")) {
      throw ApiError.badRequest("a WebSocket publish carries one record (key, value, headers...), not 'records'; "
          + "send one frame per record, or POST a batch to /topics/{topic}/records");
    }
    List<PublishRecord> parsed = RecordParser.parse(text.getBytes(StandardCharsets.UTF_8), ENVELOPE);
    // the identity's rules, the same as over HTTP: no forged stamp header (403), then the publish rates (429)
    List<PublishRecord> records = PublishRecord.withHeaders(parsed, access::stamp);
    access.chargePublish(records.size(), () -> PublishRecord.payloadBytes(parsed));
    Future<List<Outcome>> outcomes = publishing.submit(topic, records).outcomes();
    // Exactly one answer: the outcome, the publish timeout, or the graceful stop's deadline (Draining)
    Draining draining = publishing.draining();
    Draining.Open[] open = new Draining.Open[1];
    waiting++;
    // answered(...) after the answer: the last one may let the socket's drain close it
    long timer = vertx.setTimer(timeoutMs, t -> {
      error.accept(id, draining.timedOut("Kafka did not acknowledge within " + timeoutMs
          + " ms; the record may still be written"));
      answered(open[0]);
    });
    open[0] = draining.open(vertx.getOrCreateContext(), e -> {
      if (vertx.cancelTimer(timer)) {
        error.accept(id, e);
        answered(open[0]);
      }
    });
    outcomes.onComplete(ar -> {
      if (!vertx.cancelTimer(timer)) {
        return; // already answered with the timeout
      }
      answer(id, topic, ar, reply, error);
      answered(open[0]);
    });
  }

  private static void answer(String id, String topic, io.vertx.core.AsyncResult<List<Outcome>> ar,
      Consumer<JsonObject> reply, BiConsumer<String, ApiError> error) {
    if (ar.failed()) {
      error.accept(id, ErrorMapper.toApiError(ar.cause()));
    } else if (ar.result().get(0) instanceof Ack a) {
      reply.accept(new JsonObject().put("type", "ack").put("id", id).put("topic", topic).put("partition", a.partition())
          .put("offset", a.offset()).put("timestamp", a.timestamp()));
    } else if (ar.result().get(0) instanceof Failed f) {
      error.accept(id, f.error());
    }
  }
}
