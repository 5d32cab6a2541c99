package io.tidegate;

import io.tidegate.config.ConfigException;
import io.tidegate.config.ConfigLoader;
import io.tidegate.config.TidegateConfig;
import io.tidegate.embedded.EmbeddedKafka;
import io.tidegate.ops.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts Tidegate: configuration, then (with no bootstrap servers configured) the embedded broker, then the
 * gateway. On SIGTERM or Ctrl-C it stops in the reverse order, the broker last.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    // epoll on Linux when Netty's native library loads, NIO otherwise; Vert.x's meters go to the gateway's registry.
    Metrics metrics = new Metrics();
    Vertx vertx = metrics.newVertx(new VertxOptions().setPreferNativeTransport(true));
    TidegateConfig config;
    try {
      config = waitFor(ConfigLoader.load(vertx, System.getenv()), 30);
    } catch (ConfigException e) {
      System.err.println("Tidegate cannot start: invalid configuration: " + e.getMessage());
      vertx.close();
      System.exit(2);
      return;
    }
    EmbeddedKafka broker = null;
    String bootstrap;
    if (config.usesEmbeddedKafka()) {
      LOG.info("No Kafka bootstrap servers configured (KAFKA_BOOTSTRAP_SERVERS): starting an embedded single-node "
          + "KRaft broker on 127.0.0.1:{}, data in {}", config.embedded().port(), config.embedded().dataDir().toAbsolutePath());
      broker = new EmbeddedKafka(config.embedded().port(), config.embedded().dataDir());
      try {
        broker.start();
      } catch (RuntimeException | LinkageError e) {
        LOG.error("Tidegate cannot start: {}", e.getMessage(), e);
        vertx.close();
        System.exit(1);
        return;
      }
      bootstrap = broker.bootstrapServers();
    } else {
      bootstrap = config.kafka().bootstrapServers().orElseThrow();
      LOG.info("Using Kafka at {}", bootstrap);
    }
    LOG.info("Network transport: {}", vertx.isNativeTransportEnabled() ? "native (epoll)" : "NIO");
    // The hook is in place before the gateway listens: it serves (and takes publishes) a moment before its start
    // completes (the start also waits, boundedly, for the webhook definitions), and a SIGTERM in that moment must
    // drain it too, not end the JVM with publishes unanswered. The hook waits for the start to finish first.
    Future<Gateway> starting = Gateway.start(vertx, metrics, config, bootstrap);
    EmbeddedKafka ownBroker = broker;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(vertx, starting, ownBroker, config), "tidegate-shutdown"));
    try {
      waitFor(starting, 60);
    } catch (RuntimeException e) {
      LOG.error("Tidegate cannot start: {}", e.getMessage(), e);
      System.exit(1); // the shutdown hook stops the embedded broker and closes Vert.x
    }
  }

  /** Runs on the JVM's shutdown thread, never on an event loop, so it may wait. */
  private static void shutdown(Vertx vertx, Future<Gateway> starting, EmbeddedKafka broker, TidegateConfig config) {
    long t0 = System.nanoTime();
    LOG.info("Shutting down: new requests answered 503, sockets draining (1012), answering in-flight publishes, "
        + "flushing the producer");
    Gateway gateway = null;
    try {
      gateway = waitFor(starting, 60);
    } catch (RuntimeException e) {
      LOG.warn("The gateway had not started ({}): closing what there is", e.getMessage());
    }
    if (gateway != null) {
      try {
        // Gateway.stop bounds itself by shutdown.timeoutMs; the few seconds more are for closing the clients
        waitFor(gateway.stop(), config.shutdownTimeout().toSeconds() + 5);
      } catch (RuntimeException e) {
        LOG.warn("Gateway did not stop cleanly: {}", e.getMessage());
      }
    }
    if (broker != null) {
      broker.stop();
    }
    try {
      waitFor(vertx.close(), 5);
    } catch (RuntimeException e) {
      LOG.warn("Vert.x did not close cleanly: {}", e.getMessage());
    }
    LOG.info("Tidegate stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  /** Waits on the calling thread (main or the shutdown hook: never an event loop). */
  private static <T> T waitFor(Future<T> future, long seconds) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out after " + seconds + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }
}
