package io.tidegate.webhook;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhooks this gateway delivers: one {@link WebhookDelivery} verticle (its own event loop, its own group
 * member) per enabled definition, started and stopped as the registry tells of changes. Called on the registry's
 * context only.
 */
final class Deliveries {
  private static final Logger LOG = LoggerFactory.getLogger(Deliveries.class);

  private final Vertx vertx;
  private final Function<WebhookDefinition, Callable<Consumer<byte[], byte[]>>> consumers;
  private final Sender sender;
  private final DeadLetters deadLetters;
  private final MeterRegistry registry;
  private final int maxInFlight;
  private final BiConsumer<String, String> gone;
  private final Map<String, Running> running = new HashMap<>();
  private final Map<String, WebhookMeters> meters = new java.util.concurrent.ConcurrentHashMap<>();
  private boolean closed;

  private record Running(WebhookDelivery delivery, Future<String> deployment) {}

  Deliveries(Vertx vertx, Function<WebhookDefinition, Callable<Consumer<byte[], byte[]>>> consumers, Sender sender,
      DeadLetters deadLetters, MeterRegistry registry, int maxInFlight, BiConsumer<String, String> gone) {
    this.vertx = vertx;
    this.consumers = consumers;
    this.sender = sender;
    this.deadLetters = deadLetters;
    this.registry = registry;
    this.maxInFlight = maxInFlight;
    this.gone = gone;
  }

  /** The registry's listener: (before, after), either may be null. */
  void changed(WebhookDefinition before, WebhookDefinition after) {
    if (closed) {
      return;
    }
    if (before != null) {
      stop(before.name());
      if (after == null) {
        // deleted: its meters go too, so that names come and go without the registry growing
        WebhookMeters gone = meters.remove(before.name());
        if (gone != null) {
          gone.remove();
        }
      }
    }
    if (after != null && after.enabled()) {
      WebhookDelivery d = new WebhookDelivery(after, consumers.apply(after), sender, deadLetters, meters(after.name()),
          maxInFlight, gone);
      Future<String> id = vertx.deployVerticle(d)
          .onSuccess(x -> LOG.info("webhook '{}' delivering {} to {}", after.name(), after.topics(), origin(after.url())))
          .onFailure(e -> LOG.warn("webhook '{}' could not start: {}", after.name(), e.toString()));
      running.put(after.name(), new Running(d, id));
    }
  }

  /** Scheme, host and port only: a url's path or query may carry a credential, which never goes to a log. */
  private static String origin(String url) {
    java.net.URI u = java.net.URI.create(url);
    return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
  }

  WebhookMeters meters(String name) {
    return meters.computeIfAbsent(name, n -> new WebhookMeters(registry, n));
  }

  private Future<Void> stop(String name) {
    Running r = running.remove(name);
    if (r == null) {
      return Future.succeededFuture();
    }
    return r.deployment().compose(vertx::undeploy).recover(e -> Future.succeededFuture());
  }

  Future<Void> close() {
    closed = true;
    List<Future<Void>> stops = new ArrayList<>();
    for (String name : List.copyOf(running.keySet())) {
      stops.add(stop(name));
    }
    return Future.join(stops).mapEmpty();
  }
}
