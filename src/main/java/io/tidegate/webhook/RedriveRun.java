package io.tidegate.webhook;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** One redrive of a webhook on this gateway, as {@code GET /webhooks/{name}/status} shows it: what it had to do and did. */
final class RedriveRun {
  enum State { STARTING, RUNNING, DONE, FAILED }

  final AtomicLong pending = new AtomicLong();
  final AtomicLong redriven = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  private final Instant started = Instant.now();
  private volatile Instant finished;
  private volatile State state = State.STARTING;
  private volatile String error;
  private final java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();

  boolean active() {
    return state == State.STARTING || state == State.RUNNING;
  }

  void running(long records) {
    pending.set(records);
    state = State.RUNNING;
  }

  /** Both moves a record out of {@code pending}: delivered, or written back to the dead-letter topic. */
  void redriven() {
    redriven.incrementAndGet();
    pending.decrementAndGet();
  }

  void failedAgain() {
    failed.incrementAndGet();
    pending.decrementAndGet();
  }

  void finished(String why) {
    error = why;
    finished = Instant.now();
    state = why == null ? State.DONE : State.FAILED;
    ended.complete(null);
  }

  /** Runs {@code then} once this redrive has ended (at once when it has). */
  void whenEnded(Runnable then) {
    ended.thenRun(then);
  }

  JsonObject toJson() {
    JsonObject out = new JsonObject().put("state", state.name().toLowerCase())
        .put("pending", Math.max(0, pending.get())).put("redriven", redriven.get()).put("failed", failed.get())
        .put("startedAt", started.toString());
    if (finished != null) {
      out.put("finishedAt", finished.toString());
    }
    if (error != null) {
      out.put("error", error);
    }
    return out;
  }
}
