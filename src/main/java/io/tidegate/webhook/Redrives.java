package io.tidegate.webhook;

import io.tidegate.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;

/**
 * {@code POST /webhooks/{name}/redrive} on this gateway: at most one {@link Redrive} per webhook at a time (409
 * otherwise), and the last one's progress for the status. One entry per webhook, dropped when it is deleted.
 */
final class Redrives {
  private final Vertx vertx;
  private final Function<WebhookDefinition, Callable<Consumer<byte[], byte[]>>> consumers;
  private final Sender sender;
  private final DeadLetters deadLetters;
  private final Function<String, WebhookMeters> meters;
  private final Map<String, RedriveRun> runs = new ConcurrentHashMap<>();
  private final Map<String, String> deployments = new ConcurrentHashMap<>();

  Redrives(Vertx vertx, Function<WebhookDefinition, Callable<Consumer<byte[], byte[]>>> consumers, Sender sender,
      DeadLetters deadLetters, Function<String, WebhookMeters> meters) {
    this.vertx = vertx;
    this.consumers = consumers;
    this.sender = sender;
    this.deadLetters = deadLetters;
    this.meters = meters;
  }

  /** Starts a redrive; completes with {@code {"redriving": N}}, N the dead letters it is to send. */
  Future<JsonObject> start(WebhookDefinition def) {
    if (!def.enabled()) {
      throw ApiError.conflict("webhook '" + def.name() + "' is disabled (" + def.disabled() + "); define it again to redrive");
    }
    RedriveRun run = new RedriveRun();
    RedriveRun before = runs.compute(def.name(), (n, old) -> old != null && old.active() ? old : run);
    if (before != run) {
      throw ApiError.conflict("a redrive of webhook '" + def.name() + "' is running on this gateway; see its status");
    }
    Redrive redrive = new Redrive(def, consumers.apply(def), sender, deadLetters, meters.apply(def.name()), run);
    return vertx.deployVerticle(redrive)
        .andThen(ar -> {
          if (ar.succeeded()) {
            deployments.put(def.name(), ar.result());
            // forgotten once it ended by itself (a Redrive undeploys itself when done)
            run.whenEnded(() -> deployments.remove(def.name(), ar.result()));
          } else {
            run.finished("could not start: " + ar.cause().getMessage());
          }
        })
        .map(id -> new JsonObject().put("redriving", run.pending.get()));
  }

  /** The last redrive of that webhook on this gateway, or null. */
  JsonObject status(String name) {
    RedriveRun run = runs.get(name);
    return run == null ? null : run.toJson();
  }

  /** Stops the redrives running here (the gateway stops): each resumes, on any gateway, with the next redrive. */
  Future<Void> close() {
    java.util.List<Future<Void>> stops = new java.util.ArrayList<>();
    for (String id : java.util.List.copyOf(deployments.values())) {
      stops.add(vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    deployments.clear();
    return Future.join(stops).mapEmpty();
  }

  /** The webhook was deleted or changed: its redrive stops, and is forgotten when deleted. */
  void changed(WebhookDefinition before, WebhookDefinition after) {
    if (before == null) {
      return;
    }
    String id = deployments.remove(before.name());
    if (id != null) {
      vertx.undeploy(id).recover(e -> Future.succeededFuture());
    }
    if (after == null) {
      runs.remove(before.name());
    }
  }
}
