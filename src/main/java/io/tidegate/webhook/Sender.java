package io.tidegate.webhook;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.codec.BodyCodec;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * POSTs one record to a receiver with vertx-web-client: no redirect followed, at most {@value #BODY_CAP} bytes of
 * the answer kept, and an attempt that has not been answered within {@code timeoutMs} counts as failed.
 */
final class Sender {
  static final int BODY_CAP = 512;
  private final Vertx vertx;
  private final WebClient client;

  /** @param connections connections per receiver host; requests beyond wait for one (a webhook's own bound caps them) */
  Sender(Vertx vertx, int connections) {
    this.vertx = vertx;
    this.client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false).setMaxRedirects(0)
        .setUserAgent("tidegate-webhook").setKeepAlive(true),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(connections));
  }

  Future<Outcome> post(WebhookDefinition def, String id, long timestampSeconds, byte[] body, Signature signature) {
    CappedBody answer = new CappedBody(BODY_CAP);
    io.vertx.ext.web.client.HttpRequest<Void> request;
    try {
      request = client.postAbs(def.url()).followRedirects(false)
        .timeout(def.timeoutMs()).connectTimeout(def.timeoutMs())
        .putHeader("Content-Type", "application/json")
        .putHeader("webhook-id", id)
        .putHeader("webhook-timestamp", String.valueOf(timestampSeconds))
        .as(BodyCodec.pipe(answer));
    } catch (RuntimeException e) {
      return Future.succeededFuture(new Outcome(0, 0, "the url cannot be requested: " + e.getMessage()));
    }
    if (signature != null) {
      request.putHeader("webhook-signature", signature.sign(id, timestampSeconds, body));
    }
    Promise<Outcome> outcome = Promise.promise();
    // the whole attempt, answer included, within timeoutMs: a receiver that trickles its answer counts as timed out
    long guard = vertx.setTimer(def.timeoutMs() + 50,
        t -> outcome.tryComplete(new Outcome(0, 0, "timeout: no complete answer within " + def.timeoutMs() + " ms")));
    request.sendBuffer(Buffer.buffer(body)).onComplete(ar -> {
      vertx.cancelTimer(guard);
      outcome.tryComplete(ar.succeeded() ? answered(ar.result(), answer) : failed(ar.cause(), def.timeoutMs()));
    });
    return outcome.future();
  }

  private static Outcome answered(HttpResponse<Void> r, CappedBody answer) {
    int status = r.statusCode();
    if (status >= 200 && status < 300) {
      return new Outcome(status, 0, null);
    }
    long retryAfter = status == 429 || status == 503 ? retryAfterMs(r.getHeader("Retry-After")) : 0;
    String text = answer.text().replaceAll("[\\r\\n\\t]+", " ").trim();
    return new Outcome(status, retryAfter, "HTTP " + status + (text.isEmpty() ? "" : ": " + text));
  }

  private static Outcome failed(Throwable e, long timeoutMs) {
    String m = String.valueOf(e.getMessage());
    boolean timeout = e instanceof java.util.concurrent.TimeoutException || m.toLowerCase().contains("timeout")
        || m.toLowerCase().contains("timed out");
    return new Outcome(0, 0, timeout ? "timeout: no answer within " + timeoutMs + " ms" : "no answer: " + m);
  }

  /** {@code Retry-After} in seconds or as an HTTP date; 0 when absent or unreadable. */
  static long retryAfterMs(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    String v = value.trim();
    try {
      return Math.max(0, Math.min(Long.parseLong(v), 86_400L)) * 1000;
    } catch (NumberFormatException e) {
      try {
        long at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        return Math.max(0, Math.min(at - System.currentTimeMillis(), 86_400_000L));
      } catch (java.time.format.DateTimeParseException ignored) {
        return 0;
      }
    }
  }

  void close() {
    client.close();
  }
}
