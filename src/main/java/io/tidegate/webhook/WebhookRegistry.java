package io.tidegate.webhook;

import io.tidegate.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every webhook definition on the cluster, read by a plain consumer (no group) from the beginning of the compacted
 * definitions topic and kept in memory, at most {@code maxWebhooks} of them. A definition read from the topic is
 * validated again (the same rules as {@code POST /webhooks}), so a record written there by other means cannot
 * make the gateway call a host it may not call. Changes are told to one listener, on the registry's context.
 */
public final class WebhookRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookRegistry.class);
  /** Writes waiting to be read back at once; more answer 503. */
  private static final int MAX_WAITERS = 1000;

  private final Context context;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final HostPatterns hosts;
  private final int maxWebhooks;
  private final Map<String, WebhookDefinition> definitions = new ConcurrentSkipListMap<>();
  /** Next offset to read, per partition; touched on the registry's context only. */
  private final Map<Integer, Long> positions = new HashMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  /** Told (before, after) of each change, either may be null (created, deleted). */
  private BiConsumer<WebhookDefinition, WebhookDefinition> listener;

  private record Waiter(int partition, long offset, Promise<Void> seen) {}

  private WebhookRegistry(Context context, KafkaConsumer<byte[], byte[]> consumer, HostPatterns hosts, int maxWebhooks) {
    this.context = context;
    this.consumer = consumer;
    this.hosts = hosts;
    this.maxWebhooks = maxWebhooks;
  }

  /**
   * Starts reading {@code topic} on a context of its own. The Kafka consumer is built by {@code create} on a worker
   * (its constructor may resolve names); everything else runs on that context.
   */
  static Future<WebhookRegistry> start(Vertx vertx, Context ctx, String topic, HostPatterns hosts, int maxWebhooks,
      java.util.concurrent.Callable<org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>> create,
      BiConsumer<WebhookDefinition, WebhookDefinition> listener) {
    // the consumer and its handlers are set up on a worker with ctx current (bound to ctx, off the event loop)
    return ctx.executeBlocking(() -> {
      KafkaConsumer<byte[], byte[]> consumer = KafkaConsumer.create(vertx, create.call());
      WebhookRegistry registry = new WebhookRegistry(ctx, consumer, hosts, maxWebhooks);
      registry.listener = listener;
      consumer.exceptionHandler(e -> LOG.warn("reading webhook definitions: {}", e.toString()));
      consumer.handler(registry::apply);
      return registry;
    }).compose(registry -> registry.consumer.partitionsFor(topic)
        .compose(infos -> infos == null || infos.isEmpty()
            ? Future.failedFuture(new IllegalStateException("the topic '" + topic + "' has no partitions yet"))
            : registry.consumer.assign(infos.stream().map(i -> new TopicPartition(topic, i.getPartition()))
                .collect(Collectors.toSet())))
        .map(registry)
        .onFailure(e -> registry.consumer.close()));
  }

  public Optional<WebhookDefinition> get(String name) {
    return Optional.ofNullable(definitions.get(name));
  }

  /** Every definition, sorted by name. */
  public List<WebhookDefinition> all() {
    return List.copyOf(definitions.values());
  }

  public int size() {
    return definitions.size();
  }

  public int maxWebhooks() {
    return maxWebhooks;
  }

  /** Completes once this registry has read the record at {@code offset} of {@code partition}. */
  Future<Void> seen(int partition, long offset) {
    Promise<Void> seen = Promise.promise();
    context.runOnContext(v -> {
      if (positions.getOrDefault(partition, 0L) > offset) {
        seen.complete();
      } else if (waiters.size() >= MAX_WAITERS) {
        seen.fail(ApiError.overloaded("too many webhook changes at once; retry shortly"));
      } else {
        waiters.add(new Waiter(partition, offset, seen));
      }
    });
    return seen.future();
  }

  private void apply(KafkaConsumerRecord<byte[], byte[]> r) {
    String name = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    if (name != null) {
      WebhookDefinition before = definitions.get(name);
      WebhookDefinition after = r.value() == null ? null : read(name, r.value(), r.offset());
      if (after == null) {
        definitions.remove(name);
      } else if (before == null && definitions.size() >= maxWebhooks) {
        LOG.warn("webhook '{}' is not served: this gateway keeps at most {} (webhooks.maxWebhooks)", name, maxWebhooks);
        after = null;
      } else {
        definitions.put(name, after);
      }
      if (before != null || after != null) {
        try {
          listener.accept(before, after);
        } catch (RuntimeException e) {
          LOG.warn("webhook '{}': applying its definition failed: {}", name, e.toString());
        }
      }
    }
    positions.put(r.partition(), r.offset() + 1);
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.partition() == r.partition() && w.offset() <= r.offset()) {
        it.remove();
        w.seen().complete();
      }
    }
  }

  private WebhookDefinition read(String name, byte[] value, long offset) {
    try {
      WebhookDefinition d = WebhookDefinition.parse(new JsonObject(new String(value, StandardCharsets.UTF_8)), hosts, true);
      if (!d.name().equals(name)) {
        throw ApiError.unprocessable("its key is '" + name + "' but its name '" + d.name() + "'");
      }
      return d;
    } catch (ApiError e) {
      LOG.warn("webhook definition at offset {} ignored: {}", offset, e.detail());
    } catch (RuntimeException e) {
      LOG.warn("webhook definition at offset {} ignored: not a JSON object", offset);
    }
    return null;
  }

  /** The partitions being read (for tests and status). */
  Set<Integer> partitions() {
    return Set.copyOf(positions.keySet());
  }

  Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      waiters.forEach(w -> w.seen().tryFail(ApiError.unavailable("the gateway is stopping", 1)));
      waiters.clear();
      consumer.close().onComplete(done);
    });
    return done.future();
  }
}
