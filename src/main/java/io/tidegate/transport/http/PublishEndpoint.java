package io.tidegate.transport.http;

import io.tidegate.auth.Access;
import io.tidegate.auth.AuthPolicy;
import io.tidegate.error.Problems;
import io.tidegate.publish.Draining;
import io.tidegate.publish.IdempotencyCache;

import io.tidegate.error.ApiError;
import io.tidegate.publish.PublishService;
import io.tidegate.publish.PublishService.Submission;
import io.tidegate.publish.Publisher.Ack;
import io.tidegate.publish.Publisher.Failed;
import io.tidegate.publish.Publisher.Outcome;
import io.tidegate.codec.PublishRecord;
import io.tidegate.codec.RecordParser;
import io.tidegate.codec.TopicNames;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * {@code POST /topics/{topic}/records} (JSON, one record or a batch) and {@code POST /topics/{topic}}
 * (the raw body is the value). Answers once Kafka acknowledged every record, or at once with
 * {@code ?async=true}.
 */
public final class PublishEndpoint {
  private static final int MAX_IDEMPOTENCY_KEY = 255;
  private static final JsonFactory JSON = new JsonFactory();

  private final Vertx vertx;
  private final PublishService publishing;
  private final IdempotencyCache idempotency;
  private final Duration timeout;
  private final AuthPolicy policy;

  public PublishEndpoint(Vertx vertx, PublishService publishing, IdempotencyCache idempotency, Duration timeout,
      AuthPolicy policy) {
    this.vertx = vertx;
    this.publishing = publishing;
    this.idempotency = idempotency;
    this.timeout = timeout;
    this.policy = policy;
  }

  public void publishJson(RoutingContext ctx) {
    String topic = TopicNames.validate(ctx.pathParam("topic"));
    var contentType = ctx.parsedHeaders().contentType();
    String charset = contentType == null ? null : contentType.parameter("charset");
    if (charset != null && !charset.equalsIgnoreCase("utf-8")) {
      throw ApiError.unsupportedMediaType("JSON bodies must be encoded as UTF-8, not " + charset);
    }
    byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    if (body.length == 0) {
      throw ApiError.malformedJson("the body is empty; send one record or {\"records\":[...]}");
    }
    publish(ctx, topic, body, RecordParser.parse(body));
  }

  public void publishRaw(RoutingContext ctx) {
    String topic = TopicNames.validate(ctx.pathParam("topic"));
    byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
    String key = ctx.queryParam("key").isEmpty() ? null : ctx.queryParam("key").get(0);
    Integer partition = null;
    if (!ctx.queryParam("partition").isEmpty()) {
      try {
        partition = Integer.parseInt(ctx.queryParam("partition").get(0));
      } catch (NumberFormatException e) {
        partition = -1;
      }
      if (partition < 0) {
        throw ApiError.invalidRecord(-1, "'partition' must be a non-negative integer");
      }
    }
    PublishRecord r = new PublishRecord(key == null ? null : key.getBytes(StandardCharsets.UTF_8), body, List.of(),
        partition, null);
    publish(ctx, topic, body, List.of(r));
  }

  private void publish(RoutingContext ctx, String topic, byte[] body, List<PublishRecord> parsed) {
    // the identity's rules, the same as on a WebSocket: no forged stamp header (403), then the publish rates (429)
    Access access = policy.access(IdentityHandler.identity(ctx));
    java.util.function.LongSupplier bytes = () -> PublishRecord.payloadBytes(parsed); // the client's, not the stamp
    List<PublishRecord> records = PublishRecord.withHeaders(parsed, access::stamp);
    boolean async = "true".equals(ctx.request().getParam("async"));
    String idemKey = ctx.request().getHeader("Idempotency-Key");
    if (idemKey != null && (idemKey.isBlank() || idemKey.length() > MAX_IDEMPOTENCY_KEY)) {
      throw ApiError.badRequest("Idempotency-Key must hold 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
    }
    if (idemKey == null || !idempotency.enabled()) {
      access.chargePublish(records.size(), bytes);
      Submission s = publishing.submit(topic, records);
      respond(ctx, async ? s.handedOver() : s.outcomes().mapEmpty(), s.outcomes(), async);
      return;
    }
    String cacheKey = IdempotencyCache.key(topic, idemKey);
    long hash = hash(ctx.request().path(), body);
    Promise<List<Outcome>> mine = Promise.promise();
    IdempotencyCache.Entry entry = new IdempotencyCache.Entry(hash, records.size(), mine.future());
    IdempotencyCache.Entry first = idempotency.putIfAbsent(cacheKey, entry);
    if (first != null) {
      if (first.bodyHash() != hash) {
        throw ApiError.unprocessable("Idempotency-Key '" + idemKey + "' was used for a different request");
      }
      ctx.response().putHeader("Idempotent-Replayed", "true");
      respond(ctx, first.outcomes().mapEmpty(), first.outcomes(), async);
      return;
    }
    try {
      access.chargePublish(records.size(), bytes); // a replay above publishes nothing and is not charged
    } catch (ApiError e) {
      idempotency.forget(cacheKey, entry); // nothing written: a retry must publish
      mine.fail(e);
      throw e;
    }
    Submission s = publishing.submit(topic, records);
    s.outcomes().onComplete(ar -> {
      if (ar.failed() || ar.result().stream().noneMatch(o -> o instanceof Ack)) {
        idempotency.forget(cacheKey, entry); // nothing written: a retry must publish
      }
      mine.handle(ar);
    });
    respond(ctx, async ? s.handedOver() : s.outcomes().mapEmpty(), s.outcomes(), async);
  }

  /**
   * Async: 202 once {@code ready} succeeds. Otherwise the outcomes, or a 503 when Kafka has not acknowledged
   * within the publish timeout (the records may still land: the idempotency entry keeps waiting for them).
   */
  private void respond(RoutingContext ctx, Future<Void> readyAnywhere, Future<List<Outcome>> outcomesAnywhere,
      boolean async) {
    // A replay's outcome is completed wherever the first request's was (another event loop): answer on ours,
    // where the timer runs too, so that exactly one of them answers.
    Context context = vertx.getOrCreateContext();
    Future<Void> ready = onContext(context, readyAnywhere);
    Future<List<Outcome>> outcomes = onContext(context, outcomesAnywhere);
    if (async) {
      ready.onComplete(ar -> {
        if (ar.failed()) {
          Problems.send(ctx, ar.cause());
        } else {
          Problems.json(ctx, 202, new JsonObject().put("accepted", true));
        }
      });
      return;
    }
    // Exactly one answer: the outcome, the publish timeout, or the graceful stop's deadline (Draining), all on
    // this context; whichever cancels the timer first answers.
    Draining draining = publishing.draining();
    Draining.Open[] open = new Draining.Open[1];
    long timer = vertx.setTimer(timeout.toMillis(), t -> {
      open[0].close();
      Problems.send(ctx.response(), draining.timedOut("Kafka did not acknowledge within " + timeout.toMillis()
          + " ms; the records may still be written. Retry with the same Idempotency-Key to learn their fate without "
          + "writing them twice."));
    });
    open[0] = draining.open(context, e -> {
      if (vertx.cancelTimer(timer)) {
        Problems.send(ctx.response(), e);
      }
    });
    outcomes.onComplete(ar -> {
      if (!vertx.cancelTimer(timer)) {
        return; // answered already (timeout, or the stop's deadline)
      }
      open[0].close();
      if (ar.failed()) {
        Problems.send(ctx, ar.cause());
      } else {
        writeOutcomes(ctx, ar.result());
      }
    });
  }

  /** The future's outcome, handed to {@code context} when it completes on another thread. */
  private static <T> Future<T> onContext(Context context, Future<T> future) {
    if (future.isComplete()) {
      return future; // its handlers run at once, here
    }
    Promise<T> here = Promise.promise();
    future.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        here.handle(ar);
      } else {
        context.runOnContext(v -> here.handle(ar));
      }
    });
    return here.future();
  }

  /** 200 when all were acknowledged, 207 when some failed, the failure itself when none was written. */
  private static void writeOutcomes(RoutingContext ctx, List<Outcome> outcomes) {
    Failed firstFailure = null;
    boolean anyAck = false;
    ByteArrayBuilder out = new ByteArrayBuilder(16 + outcomes.size() * 64);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("results");
      for (Outcome o : outcomes) {
        g.writeStartObject();
        if (o instanceof Ack a) {
          anyAck = true;
          g.writeNumberField("partition", a.partition());
          g.writeNumberField("offset", a.offset());
          g.writeNumberField("timestamp", a.timestamp());
        } else if (o instanceof Failed f) {
          firstFailure = firstFailure == null ? f : firstFailure;
          g.writeObjectFieldStart("error");
          g.writeStringField("type", f.error().type());
          g.writeStringField("title", f.error().title());
          g.writeNumberField("status", f.error().status());
          g.writeStringField("detail", f.error().detail());
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to memory
    }
    if (!anyAck && firstFailure != null) {
      Problems.send(ctx.response(), firstFailure.error());
      return;
    }
    Problems.json(ctx, firstFailure == null ? 200 : 207, Buffer.buffer(out.toByteArray()));
  }

  static long hash(String path, byte[] body) {
    CRC32C crc = new CRC32C();
    crc.update(body);
    return ((long) path.hashCode() << 32) ^ crc.getValue() ^ ((long) body.length << 48);
  }
}
