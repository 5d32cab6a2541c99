package io.tidegate;

import io.tidegate.config.TidegateConfig;
import io.tidegate.ops.KafkaHealth;
import io.tidegate.transport.HttpVerticle;
import io.tidegate.publish.IdempotencyCache;
import io.tidegate.kafka.GroupService;
import io.tidegate.stream.HistoryReader;
import io.tidegate.kafka.KafkaClients;
import io.tidegate.publish.PublishService;
import io.tidegate.publish.Publisher;
import io.tidegate.kafka.TopicService;
import io.tidegate.ops.Metrics;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import io.micrometer.core.instrument.Counter;
import io.tidegate.stream.LiveFeed;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running gateway in front of one Kafka cluster: its clients, shared services and HTTP listeners. */
public final class Gateway {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final Services services;
  private final Admin admin;
  private final List<String> deployments = new ArrayList<>();
  private int port;

  private Gateway(Vertx vertx, Services services, Admin admin) {
    this.vertx = vertx;
    this.services = services;
    this.admin = admin;
  }

  /**
   * Creates the Kafka clients and starts the HTTP listeners. Kafka's client constructors may resolve
   * host names, so call this from a thread that is not an event loop (main, a test, a worker).
   */
  public static Future<Gateway> start(Vertx vertx, TidegateConfig config, String bootstrapServers) {
    KafkaClients clients = new KafkaClients(bootstrapServers, config.kafka());
    Metrics metrics = new Metrics();
    KafkaProducer<byte[], byte[]> producer = clients.producer();
    metrics.bindProducer(producer);
    Admin admin = clients.admin();
    TopicService topics = new TopicService(vertx, admin, config.kafka());
    KafkaHealth health = new KafkaHealth(vertx, admin, config.health().probeInterval(), config.health().probeTimeout());
    health.start(vertx.getOrCreateContext());
    AtomicInteger sessions = new AtomicInteger();
    io.micrometer.core.instrument.Gauge.builder("tidegate.ws.sessions", sessions, AtomicInteger::get)
        .description("Open WebSocket sessions").register(metrics.registry());
    Semaphore groupMembers = new Semaphore(config.ws().maxGroupMembers());
    io.micrometer.core.instrument.Gauge.builder("tidegate.group.members", groupMembers,
            g -> config.ws().maxGroupMembers() - g.availablePermits())
        .description("WebSocket clients that are Kafka consumer-group members (one consumer each)")
        .register(metrics.registry());
    AtomicInteger sseSessions = new AtomicInteger();
    io.micrometer.core.instrument.Gauge.builder("tidegate.sse.sessions", sseSessions, AtomicInteger::get)
        .description("Open Server-Sent Events streams").register(metrics.registry());
    Publisher publisher = new Publisher(vertx, producer, config.publish().timeout(), metrics.registry());
    Services services = new Services(
        config,
        publisher,
        new PublishService(publisher, topics, health),
        topics,
        new GroupService(vertx, admin, topics),
        new HistoryReader(vertx, clients, config.publish().historyMaxConcurrent(), config.kafka().requestTimeout()),
        health,
        new IdempotencyCache(config.publish().idempotencyMaxRecords(), config.publish().idempotencyWindow()),
        metrics,
        clients,
        new LiveFeed(clients, metrics.registry()),
        vertx.createSharedWorkerExecutor("tidegate-catchup", 4),
        new Semaphore(config.ws().maxCatchUps()),
        sessions,
        sseSessions,
        Counter.builder("tidegate.ws.closed.slow")
            .description("Sockets and SSE streams closed for exceeding their budget")
            .register(metrics.registry()),
        groupMembers,
        Counter.builder("tidegate.group.commits").description("Offsets committed for group members over WebSocket")
            .register(metrics.registry()));
    services.feed().start();
    Gateway gateway = new Gateway(vertx, services, admin);
    return gateway.deployHttp().map(gateway);
  }

  /** Every event loop gets a listener on the same port (Vert.x shares the socket); port 0 picks a free one. */
  private Future<Void> deployHttp() {
    int instances = services.config().http().instances();
    int wanted = services.config().http().port();
    port = wanted != 0 ? wanted : freePort();
    return vertx.deployVerticle(() -> new HttpVerticle(services, port), new DeploymentOptions().setInstances(instances))
        .<Void>map(id -> {
          deployments.add(id);
          return null;
        })
        .onSuccess(v -> LOG.info("Tidegate listening on http://{}:{} ({} event loop(s))",
            services.config().http().host(), port, instances));
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

  public Services services() {
    return services;
  }

  /**
   * Stops accepting, lets in-flight requests be answered, flushes and closes the producer, then the other
   * clients. The returned future completes when all of that is done.
   */
  public Future<Void> stop() {
    Duration timeout = services.config().shutdownTimeout();
    List<Future<?>> undeploys = new ArrayList<>();
    for (String id : deployments) {
      undeploys.add(vertx.undeploy(id));
    }
    // Listeners get half the time; a client that stopped reading must not hold the rest of the stop hostage.
    long listenersMs = Math.max(1000, timeout.toMillis() / 2 + 1000);
    return Future.join(undeploys)
        .timeout(listenersMs, java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(e -> {
          LOG.warn("HTTP listeners did not stop within {} ms ({}); going on with the shutdown", listenersMs, e.getMessage());
          return Future.succeededFuture();
        })
        .eventually(() -> {
          services.health().stop();
          services.history().close();
          services.catchUpWorkers().close();
          return vertx.executeBlocking(() -> {
            // sockets closed above: their group members are leaving their groups; let them finish, briefly
            int max = services.config().ws().maxGroupMembers();
            long until = System.nanoTime() + 5_000_000_000L;
            while (services.groupMembers().availablePermits() < max && System.nanoTime() < until) {
              Thread.sleep(20);
            }
            services.feed().close();
            services.publisher().close(timeout.dividedBy(2));
            admin.close(Duration.ofSeconds(2));
            services.metrics().close();
            return null;
          });
        })
        .mapEmpty();
  }
}
