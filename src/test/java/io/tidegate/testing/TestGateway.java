package io.tidegate.testing;

import io.tidegate.Gateway;
import io.tidegate.config.ConfigParser;
import io.tidegate.config.TidegateConfig;
import io.tidegate.ops.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** A gateway running in the test JVM on a free port, with its own Vert.x instance. */
public final class TestGateway implements AutoCloseable {
  private final Vertx vertx;
  private final Gateway gateway;
  private final TidegateConfig config;

  private TestGateway(Vertx vertx, Gateway gateway, TidegateConfig config) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.config = config;
    StallWatch.started(vertx);
  }

  /** Starts a gateway in front of {@code bootstrapServers}; {@code overrides} is laid over test defaults. */
  public static TestGateway start(String bootstrapServers, JsonObject overrides) {
    JsonObject cfg = new JsonObject()
        .put("http", new JsonObject().put("port", 0).put("instances", 2))
        .put("kafka", new JsonObject().put("bootstrapServers", bootstrapServers).put("defaultPartitions", 3))
        .put("health", new JsonObject().put("probeIntervalMs", 500).put("probeTimeoutMs", 1000))
        .put("shutdown", new JsonObject().put("timeoutMs", 5000))
        .mergeIn(overrides, true);
    TidegateConfig config = ConfigParser.parse(cfg);
    Metrics metrics = new Metrics(); // as Main does: Vert.x's own meters in the gateway's registry
    Vertx vertx = StallWatch.starting(newVertx(metrics)); // TestGateway's constructor tightens the limit once started
    Gateway gateway = Awaits.result(Gateway.start(vertx, metrics, config, bootstrapServers));
    Awaits.until("the gateway sees Kafka", () -> gateway.health().isUp());
    return new TestGateway(vertx, gateway, config);
  }

  /**
   * A Vert.x instance as each test gateway gets: its event loops may not run one task for more than 100 ms of
   * their own, which {@link BlockedThreadGuard} turns into a failure (see {@link StallWatch}).
   */
  public static Vertx newVertx() {
    return StallWatch.vertx(StallWatch.options().setPreferNativeTransport(true));
  }

  /** As {@link #newVertx()}, reporting Vert.x's own meters to {@code metrics} (as {@link Metrics#newVertx} does). */
  public static Vertx newVertx(Metrics metrics) {
    return StallWatch.vertx(metrics.instrument(StallWatch.options().setPreferNativeTransport(true)), metrics.factory());
  }

  public static TestGateway start(JsonObject overrides) {
    return start(KafkaBrokerExtension.bootstrapServers(), overrides);
  }

  public static TestGateway start() {
    return start(new JsonObject());
  }

  public String url(String path) {
    return "http://127.0.0.1:" + gateway.port() + path;
  }

  public Gateway gateway() {
    return gateway;
  }

  /** A gauge's value from the gateway's meters, or 0 while it is not registered. */
  public double gauge(String name) {
    var g = gateway.registry().find(name).gauge();
    return g == null ? 0 : g.value();
  }

  /** A counter's count, 0 while it does not exist; {@code tags}: key, value, key, value... */
  public double counter(String name, String... tags) {
    var c = gateway.registry().find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  public TidegateConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  @Override
  public void close() {
    Awaits.result(gateway.stop());
    Awaits.result(vertx.close());
  }
}
