package io.tidegate;

import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.auth.AuthPolicy;
import io.tidegate.config.TidegateConfig;
import io.tidegate.kafka.AdminLane;
import io.tidegate.kafka.GroupService;
import io.tidegate.kafka.KafkaClients;
import io.tidegate.kafka.TopicService;
import io.tidegate.ops.KafkaHealth;
import io.tidegate.ops.Metrics;
import io.tidegate.publish.IdempotencyCache;
import io.tidegate.publish.PublishService;
import io.tidegate.publish.Publisher;
import io.tidegate.stream.HistoryReader;
import io.tidegate.stream.LiveFeed;
import io.tidegate.stream.Streams;
import io.tidegate.transport.ConnectionLimit;
import io.tidegate.transport.HttpVerticle;
import io.tidegate.transport.http.GroupEndpoint;
import io.tidegate.transport.http.PublishEndpoint;
import io.tidegate.transport.http.RestEndpoints;
import io.tidegate.transport.http.StatsEndpoint;
import io.tidegate.transport.http.TopicEndpoint;
import io.tidegate.transport.http.WebhookEndpoint;
import io.tidegate.webhook.Webhooks;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway in front of one Kafka cluster: it wires Kafka's clients, the publishing path, the
 * streaming core and the HTTP listeners by their constructors, and stops them in the reverse order.
 */
public final class Gateway {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
  /** Publishing's topic look-ups at once (each is one describe and one offsets call); more answer 503. */
  private static final int PUBLISHING_ADMIN_MAX_IN_FLIGHT = 256;
  /** Admin operations clients cause (look-ups, topic API, offsets, groups) at once; more answer 503 at once. */
  private static final int CLIENTS_ADMIN_MAX_IN_FLIGHT = 64;

  private final Vertx vertx;
  private final TidegateConfig config;
  private final List<AdminLane> admins;
  private final Metrics metrics;
  private final KafkaHealth health;
  private final Publisher publisher;
  private PublishService publishing;
  private final HistoryReader history;
  private final Streams streams;
  private final List<String> deployments = new ArrayList<>();
  private int port;
  private Webhooks webhooks;

  private Gateway(Vertx vertx, TidegateConfig config, List<AdminLane> admins, Metrics metrics, KafkaHealth health,
      Publisher publisher, HistoryReader history, Streams streams) {
    this.vertx = vertx;
    this.config = config;
    this.admins = admins;
    this.metrics = metrics;
    this.health = health;
    this.publisher = publisher;
    this.history = history;
    this.streams = streams;
  }

  /**
   * Creates the Kafka clients and starts the HTTP listeners. Kafka's client constructors may resolve
   * host names, so call this from a thread that is not an event loop (main, a test, a worker).
   */
  public static Future<Gateway> start(Vertx vertx, TidegateConfig config, String bootstrapServers) {
    return start(vertx, new Metrics(), config, bootstrapServers);
  }

  /**
   * As {@link #start(Vertx, TidegateConfig, String)}, with the registry {@code vertx} reports its own meters to
   * (made by {@link Metrics#newVertx}): {@code /metrics} then has Vert.x's HTTP, WebSocket and event-loop meters.
   */
  public static Future<Gateway> start(Vertx vertx, Metrics metrics, TidegateConfig config, String bootstrapServers) {
    KafkaClients clients = new KafkaClients(bootstrapServers, config.kafka());
    KafkaProducer<byte[], byte[]> producer = clients.producer();
    metrics.bindProducer(producer);
    // two admin clients: a client flooding its own with look-ups never delays the health probe or publishing
    AdminClient systemAdmin = clients.systemAdmin();
    AdminLane publishingLane = new AdminLane(vertx, "publishing", systemAdmin, PUBLISHING_ADMIN_MAX_IN_FLIGHT);
    AdminLane clientsLane = new AdminLane(vertx, "clients", clients.clientsAdmin(), CLIENTS_ADMIN_MAX_IN_FLIGHT);
    TopicService topics = new TopicService(vertx, publishingLane, clientsLane, config.kafka());
    KafkaHealth health = new KafkaHealth(vertx, systemAdmin, config.health().probeInterval(), config.health().probeTimeout());
    health.start(vertx.getOrCreateContext());
    Publisher publisher = new Publisher(vertx, producer, config.publish().timeout(), metrics.registry());
    PublishService publishing = new PublishService(publisher, topics, health);
    io.micrometer.core.instrument.Gauge.builder("tidegate.publish.waiting", publishing.draining(),
        io.tidegate.publish.Draining::openPublishes)
        .description("Publishes (HTTP and WebSocket) waiting for Kafka's answer").register(metrics.registry());
    HistoryReader history = new HistoryReader(vertx, clients, config.publish().historyMaxConcurrent(),
        config.kafka().requestTimeout());
    Streams streams = Streams.create(vertx, config.ws(), topics, clients, metrics.registry());
    AuthPolicy auth = AuthPolicy.create(vertx, config.auth(), config.limits(), metrics.registry());
    // reads the definitions in the background (Kafka may not be there yet); until then the webhook API answers 503
    Webhooks webhooks = Webhooks.start(vertx, config, bootstrapServers, topics, clientsLane, metrics.registry());
    RestEndpoints rest = new RestEndpoints(
        new PublishEndpoint(vertx, publishing,
            new IdempotencyCache(config.publish().idempotencyMaxRecords(), config.publish().idempotencyWindow()),
            config.publish().timeout(), auth),
        new TopicEndpoint(topics, history, config.publish()),
        new GroupEndpoint(new GroupService(clientsLane, topics)),
        new StatsEndpoint(metrics.registry()),
        new WebhookEndpoint(webhooks));
    streams.feed().start();
    // what /health/ready answers, as a meter: 1 when Kafka answers and the live feed reads
    io.micrometer.core.instrument.Gauge.builder("tidegate.ready", () -> health.isUp() && streams.feed().isUp() ? 1 : 0)
        .description("1 while the gateway is ready (Kafka answers and the live feed reads), as /health/ready says")
        .register(metrics.registry());
    Gateway gateway = new Gateway(vertx, config, List.of(publishingLane, clientsLane), metrics, health, publisher, history, streams);
    gateway.webhooks = webhooks;
    gateway.publishing = publishing;
    Future<Void> reading = webhooks.reading(config.kafka().requestTimeout().multipliedBy(2));
    return gateway.deployHttp(rest, publishing, auth).compose(v -> reading).map(gateway);
  }

  /** Every event loop gets a listener on the same port (Vert.x shares the socket); port 0 picks a free one. */
  private Future<Void> deployHttp(RestEndpoints rest, PublishService publishing, AuthPolicy auth) {
    int instances = config.http().instances();
    int wanted = config.http().port();
    port = wanted != 0 ? wanted : freePort();
    ConnectionLimit connections = new ConnectionLimit(config.limits().maxConnections(), metrics.registry());
    return vertx.deployVerticle(() -> new HttpVerticle(config, port, rest, streams, publishing, health, metrics,
            connections, auth),
            new DeploymentOptions().setInstances(instances))
        .<Void>map(id -> {
          deployments.add(id);
          return null;
        })
        .onSuccess(v -> LOG.info("Tidegate listening on {}://{}:{} ({} event loop(s))",
            config.http().tls().isPresent() ? "https" : "http", config.http().host(), port, instances));
  }

  private static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("no free port", e);
    }
  }

  public int port() {
    return port;
  }

  /** The gateway's meters (what {@code /metrics} serves). */
  public MeterRegistry registry() {
    return metrics.registry();
  }

  /** The live feed, for its gauges in tests and benchmarks. */
  public LiveFeed feed() {
    return streams.feed();
  }

  public KafkaHealth health() {
    return health;
  }

  /**
   * The graceful stop (SIGTERM), bounded by {@code shutdown.timeoutMs} (T): new requests are answered 503 at once;
   * sockets drain (WebSocket {@code draining} + 1012, SSE {@code event: draining} then end); every publish open
   * now is answered by {@link #publishDeadline} (its ack, its own publish timeout, or a 503 saying the records may
   * still be written); the listeners close; the producer is flushed and closed with the time left, then the
   * other clients. The returned future completes when all of that is done.
   */
  public Future<Void> stop() {
    Duration timeout = config.shutdownTimeout();
    long t0 = System.nanoTime();
    Duration answerBy = publishDeadline(timeout);
    publishing.draining().drain(vertx, answerBy);
    List<Future<?>> undeploys = new ArrayList<>();
    for (String id : deployments) {
      undeploys.add(vertx.undeploy(id));
    }
    // the listeners wait for the publishes (answered by answerBy), then get their own short grace
    long listenersMs = answerBy.toMillis() + Math.max(1000, timeout.toMillis() / 4) + 500;
    return Future.join(undeploys)
        .timeout(listenersMs, java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(e -> {
          LOG.warn("HTTP listeners did not stop within {} ms ({}); going on with the shutdown", listenersMs, e.getMessage());
          return Future.succeededFuture();
        })
        .eventually(() -> webhooks == null ? Future.succeededFuture()
            : webhooks.stop().timeout(Math.max(1000, left(t0, timeout) / 2), java.util.concurrent.TimeUnit.MILLISECONDS)
                .recover(e -> Future.succeededFuture()))
        .eventually(() -> {
          health.stop();
          history.close();
          return vertx.executeBlocking(() -> {
            // sockets closed above: their group members are leaving their groups; let them finish, briefly
            long until = System.nanoTime() + 5_000_000_000L;
            while (streams.groupMembersInUse() > 0 && System.nanoTime() < until) {
              Thread.sleep(20);
            }
            streams.close();
            // flushes what is buffered (records answered 503 above may still be written), within the time left
            publisher.close(Duration.ofMillis(Math.max(1000, left(t0, timeout))));
            admins.forEach(a -> a.close(Duration.ofSeconds(2)));
            metrics.close();
            return null;
          });
        })
        .mapEmpty();
  }

  /**
   * When every publish open at the signal must have been answered: {@code shutdown.timeoutMs} less 2 s for
   * closing the listeners and flushing the producer (at least half of it). With the defaults (15 s and a
   * {@code publish.timeoutMs} of 10 s) each publish gets its own answer first; a shorter shutdown timeout wins.
   */
  static Duration publishDeadline(Duration shutdownTimeout) {
    long ms = shutdownTimeout.toMillis();
    return Duration.ofMillis(Math.max(ms / 2, ms - 2000));
  }

  private static long left(long t0, Duration timeout) {
    return timeout.toMillis() - (System.nanoTime() - t0) / 1_000_000;
  }
}
