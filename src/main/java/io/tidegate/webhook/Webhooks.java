package io.tidegate.webhook;

import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.tidegate.kafka.AdminLane;
import io.tidegate.kafka.TopicService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import org.apache.kafka.clients.consumer.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhooks on this gateway: the definitions (kept in a compacted Kafka topic, so every gateway on the cluster sees
 * them and they survive restarts), and their delivery. A change is answered once Kafka acknowledged it and this
 * gateway's registry read it back, so a {@code GET} right after a {@code POST} sees it.
 */
public final class Webhooks {
  private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);

  /** Between two tries at reading the definitions while Kafka does not answer. */
  private static final long RETRY_START_MS = 2000;

  private final Vertx vertx;
  private final TidegateConfig.Webhooks config;
  private final HostPatterns hosts;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Deliveries deliveries;
  private final Sender sender;
  private final WebhookStatus status;
  private final WebhookSetup setup;
  private final Redrives redrives;
  private final WebhookLag lag;
  private final Callable<Consumer<byte[], byte[]>> registryConsumer;
  private final Context context;
  private volatile WebhookRegistry registry;
  private volatile boolean stopped;
  private final Promise<Void> reading = Promise.promise();

  private Webhooks(Vertx vertx, TidegateConfig config, String bootstrap, TopicService topics, AdminLane lane,
      MeterRegistry meters) {
    this.vertx = vertx;
    this.config = config.webhooks();
    this.hosts = new HostPatterns(this.config.allowedHosts());
    this.producer = KafkaProducer.create(vertx,
        new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(WebhookClients.producer(bootstrap, config.kafka())));
    this.sender = new Sender(vertx, Math.max(8, this.config.maxInFlight()));
    this.setup = new WebhookSetup(topics, lane);
    int maxInFlight = this.config.maxInFlight();
    DeadLetters deadLetters = new DeadLetters(producer);
    this.deliveries = new Deliveries(vertx,
        def -> () -> new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
            WebhookClients.deliveryConsumer(bootstrap, config.kafka(), def.group(), maxInFlight)),
        sender, deadLetters, meters, maxInFlight, this::disable);
    this.redrives = new Redrives(vertx,
        def -> () -> new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
            WebhookClients.redriveConsumer(bootstrap, config.kafka(), def.group() + ".redrive", maxInFlight)),
        sender, deadLetters, deliveries::meters);
    this.status = new WebhookStatus(topics, lane, deliveries, redrives);
    this.lag = new WebhookLag(vertx, status, deliveries::meters, () -> registry == null ? List.of() : registry.all());
    this.registryConsumer = () -> new org.apache.kafka.clients.consumer.KafkaConsumer<>(
        WebhookClients.registryConsumer(bootstrap, config.kafka()));
    this.context = vertx.getOrCreateContext();
    WebhookClasses.load(hosts);
  }

  /**
   * Builds the webhook producer and starts reading the definitions in the background: creates the definitions topic
   * when it is missing (compacted, one partition), reads it, and delivers what it holds. While Kafka does not
   * answer it tries again every {@value #RETRY_START_MS} ms, and the API answers 503. Call from a thread that is
   * not an event loop (Kafka's client constructors may block).
   */
  public static Webhooks start(Vertx vertx, TidegateConfig config, String bootstrap, TopicService topics,
      AdminLane lane, MeterRegistry meters) {
    Webhooks w = new Webhooks(vertx, config, bootstrap, topics, lane, meters);
    w.context.runOnContext(v -> w.tryStart());
    return w;
  }

  private void tryStart() {
    if (stopped) {
      return;
    }
    setup.definitionsTopic(context, config.topic())
        .compose(v -> WebhookRegistry.start(vertx, context, config.topic(), hosts, config.maxWebhooks(), registryConsumer,
            (before, after) -> {
              deliveries.changed(before, after);
              redrives.changed(before, after);
            }))
        .onSuccess(r -> {
          if (stopped) {
            r.close();
            return;
          }
          registry = r;
          lag.start();
          reading.tryComplete();
        })
        .onFailure(e -> {
          LOG.warn("webhook definitions cannot be read yet ({}); trying again in {} ms", e.toString(), RETRY_START_MS);
          vertx.setTimer(RETRY_START_MS, t -> tryStart());
        });
  }

  /**
   * Completes once the definitions are being read, or after {@code atMost} (then they are read later, whenever
   * Kafka answers): never fails. The gateway's start waits for it, so that a started gateway serves the webhook API.
   */
  public Future<Void> reading(java.time.Duration atMost) {
    Promise<Void> either = Promise.promise();
    long timer = vertx.setTimer(atMost.toMillis(), t -> either.tryComplete());
    reading.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      either.tryComplete();
    });
    return either.future();
  }

  private WebhookRegistry registry() {
    WebhookRegistry r = registry;
    if (r == null) {
      throw ApiError.unavailable("the gateway is still reading the webhook definitions from Kafka", 2);
    }
    return r;
  }

  public List<WebhookDefinition> list() {
    return registry().all();
  }

  public WebhookDefinition get(String name) {
    return registry().get(name).orElseThrow(() -> ApiError.notFound("no webhook named '" + name + "'"));
  }

  /**
   * Validates and stores a new webhook. Its topics must exist (404); its name must be free (409). The dead-letter
   * topic is created when missing, and the webhook's group starts at the topics' current ends: it delivers the
   * records published after this answer.
   */
  public Future<WebhookDefinition> create(JsonObject body) {
    WebhookDefinition def = WebhookDefinition.parse(body, hosts, false);
    WebhookRegistry registry = registry();
    if (registry.get(def.name()).isPresent()) {
      throw ApiError.conflict("a webhook named '" + def.name() + "' exists; delete it first to define it again");
    }
    if (registry.size() >= registry.maxWebhooks()) {
      throw ApiError.conflict("this gateway keeps at most " + registry.maxWebhooks() + " webhooks (webhooks.maxWebhooks)");
    }
    return setup.prepare(def).compose(v -> write(def.name(), def.toStored())).map(def);
  }

  public Future<Void> delete(String name) {
    get(name);
    return write(name, null);
  }

  public Future<JsonObject> status(String name) {
    return status.of(get(name));
  }

  /**
   * {@code POST /webhooks/{name}/redrive}: sends the webhook's dead letters through it again, in the background;
   * answers with how many. 404 for an unknown webhook, 409 while one runs on this gateway or when it is disabled.
   */
  public Future<JsonObject> redrive(String name) {
    return redrives.start(get(name));
  }

  /** A 410 Gone: the definition is kept, marked disabled, and every gateway stops delivering it. */
  private void disable(String name, String why) {
    registry().get(name).ifPresent(def -> write(name, def.disable(why).toStored())
        .onFailure(e -> LOG.warn("webhook '{}': could not record that it is disabled: {}", name, e.toString())));
  }

  private Future<Void> write(String name, JsonObject value) {
    byte[] bytes = value == null ? null : value.toBuffer().getBytes();
    return producer.send(KafkaProducerRecord.create(config.topic(), name.getBytes(StandardCharsets.UTF_8), bytes))
        .compose(meta -> registry().seen(meta.getPartition(), meta.getOffset()));
  }

  public static JsonArray toJson(List<WebhookDefinition> defs) {
    return new JsonArray(defs.stream().map(WebhookDefinition::toJson).toList());
  }

  public Future<Void> stop() {
    stopped = true;
    lag.stop();
    Promise<Void> closed = Promise.promise();
    // on the registry's context, where deliveries are started and stopped
    context.runOnContext(v -> Future.join(deliveries.close(), redrives.close()).<Void>mapEmpty().onComplete(closed));
    return closed.future().eventually(() -> registry == null ? Future.succeededFuture() : registry.close()).eventually(() -> {
      sender.close();
      return producer.close(2000);
    });
  }
}
