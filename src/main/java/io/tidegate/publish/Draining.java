package io.tidegate.publish;

import io.tidegate.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The gateway's graceful stop as publishing sees it: whether the gateway is draining, and every publish (HTTP
 * or WebSocket) still waiting for Kafka's answer, so that each one is answered before the process exits.
 *
 * <p>A publish registers when it starts waiting and unregisters once answered (its ack, its error, or its own
 * publish timeout). Entries live no longer than {@code publish.timeoutMs}, and there are never more than the
 * records the producer's {@code buffer.memory} holds (a full buffer refuses a send at once, unregistered): that
 * bounds the set. Thread-safe: publishes run on every event loop; each answer runs on its publish's context.
 */
public final class Draining {
  /** One publish waiting for Kafka. */
  public final class Open {
    private final Context context;
    private final Consumer<ApiError> answerNow;

    private Open(Context context, Consumer<ApiError> answerNow) {
      this.context = context;
      this.answerNow = answerNow;
    }

    /** The publish was answered: it no longer holds the stop. */
    public void close() {
      if (open.remove(this) && draining && open.isEmpty()) {
        idle.tryComplete();
      }
    }
  }

  private final Set<Open> open = ConcurrentHashMap.newKeySet();
  private final Promise<Void> idle = Promise.promise();
  private volatile boolean draining;

  /**
   * Registers a publish waiting for Kafka.
   *
   * @param answerNow runs on {@code context} if the stop's deadline comes first: it must answer the client with
   *                  the error given, unless it has been answered meanwhile (then it does nothing)
   */
  public Open open(Context context, Consumer<ApiError> answerNow) {
    Open o = new Open(context, answerNow);
    open.add(o);
    return o;
  }

  /** True once the gateway began to stop: new requests are refused, new sockets too. */
  public boolean draining() {
    return draining;
  }

  /** Completes once the drain has begun and no publish is left waiting (never before {@link #drain}). */
  public Future<Void> idle() {
    return idle.future();
  }

  public int openPublishes() {
    return open.size();
  }

  /**
   * Starts the drain: from now on {@link #draining()} is true. The future completes once every publish open now
   * (or opened later by a socket still draining) has been answered; at {@code answerBy} the rest are answered
   * with a 503 (the records may still be written) and the future completes.
   */
  public Future<Void> drain(Vertx vertx, Duration answerBy) {
    draining = true;
    if (open.isEmpty()) {
      idle.tryComplete();
    }
    if (!idle.future().isComplete()) {
      long timer = vertx.setTimer(Math.max(1, answerBy.toMillis()), t -> cutAll());
      idle.future().onComplete(ar -> vertx.cancelTimer(timer));
    }
    return idle.future();
  }

  private void cutAll() {
    ApiError e = stopped();
    for (Open o : List.copyOf(open)) {
      o.context.runOnContext(v -> {
        o.answerNow.accept(e);
        o.close();
      });
    }
  }

  /**
   * The answer to a publish the stop cuts: Kafka has not acknowledged it, so the records may still be written
   * (the producer is flushed before the process exits). This gateway's {@code Idempotency-Key} memory ends with
   * it, so the answer says so instead of promising that a retry with the same key is safe.
   */
  public static ApiError stopped() {
    return ApiError.shuttingDown("the gateway is shutting down and Kafka has not acknowledged yet: the records may "
        + "still be written. Idempotency-Key entries are kept by this gateway only and end with it; read the topic "
        + "before retrying elsewhere if a duplicate matters");
  }

  /** A publish's own timeout while the gateway drains: the same facts as {@link #stopped()}. */
  public ApiError timedOut(String usual) {
    return draining ? stopped() : ApiError.timeout(usual, 5);
  }
}
