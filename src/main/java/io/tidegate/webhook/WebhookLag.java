package io.tidegate.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the gauge {@code tidegate.webhook.lag{webhook}} fresh: every {@value #EVERY_MS} ms, one webhook after the
 * other, the group's committed offsets and the topics' ends through the admin lane (asynchronous, so no event loop
 * waits). A round still running when the timer fires again is not doubled; a look-up that fails keeps the last value.
 */
final class WebhookLag {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookLag.class);
  static final long EVERY_MS = 2000;

  private final Vertx vertx;
  private final WebhookStatus status;
  private final Function<String, WebhookMeters> meters;
  private final Supplier<List<WebhookDefinition>> defs;
  private long timer = -1;
  private boolean running;

  WebhookLag(Vertx vertx, WebhookStatus status, Function<String, WebhookMeters> meters,
      Supplier<List<WebhookDefinition>> defs) {
    this.vertx = vertx;
    this.status = status;
    this.meters = meters;
    this.defs = defs;
  }

  /** Call on the context the refreshes are to run on. */
  void start() {
    if (timer < 0) {
      timer = vertx.setPeriodic(EVERY_MS, t -> refresh());
    }
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void refresh() {
    if (running) {
      return;
    }
    running = true;
    Future<Void> round = Future.succeededFuture();
    for (WebhookDefinition def : defs.get()) {
      round = round.compose(v -> status.lag(def)
          .onSuccess(l -> {
            if (defs.get().stream().anyMatch(d -> d.name().equals(def.name()))) { // not deleted meanwhile
              meters.apply(def.name()).lag.set(l);
            }
          })
          .<Void>mapEmpty()
          .recover(e -> {
            LOG.debug("webhook '{}': lag not refreshed ({})", def.name(), e.toString());
            return Future.succeededFuture();
          }));
    }
    round.onComplete(ar -> running = false);
  }
}
