package io.tidegate.testing;

import io.tidegate.embedded.EmbeddedKafka;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives integration tests a real Kafka broker, one per test JVM: {@code KAFKA_BOOTSTRAP_SERVERS} when set,
 * else Testcontainers' Kafka when Docker is available, else the project's embedded KRaft broker.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerExtension.class);
  private static final String KEY = "tidegate.kafka";

  private static volatile String bootstrapServers;

  /** The shared broker's bootstrap servers; only valid inside a test using this extension. */
  public static String bootstrapServers() {
    if (bootstrapServers == null) {
      throw new IllegalStateException("no broker: annotate the test with @ExtendWith(KafkaBrokerExtension.class)");
    }
    return bootstrapServers;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(KEY, k -> start(), Broker.class);
  }

  private static Broker start() {
    String fromEnv = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (fromEnv != null && !fromEnv.isBlank()) {
      LOG.info("Tests use the Kafka cluster at {}", fromEnv);
      bootstrapServers = fromEnv;
      return new Broker(() -> { });
    }
    if (dockerAvailable()) {
      var container = new org.testcontainers.kafka.KafkaContainer("apache/kafka:4.2.0");
      container.start();
      bootstrapServers = container.getBootstrapServers();
      LOG.info("Tests use Testcontainers' Kafka at {}", bootstrapServers);
      return new Broker(container::stop);
    }
    Path dir = Path.of("target", "test-kafka-" + ProcessHandle.current().pid());
    EmbeddedKafka kafka = new EmbeddedKafka(0, dir).start();
    bootstrapServers = kafka.bootstrapServers();
    LOG.info("No Docker and no KAFKA_BOOTSTRAP_SERVERS: tests use an embedded broker at {}", bootstrapServers);
    return new Broker(kafka::stop);
  }

  private static boolean dockerAvailable() {
    try {
      return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable t) {
      return false;
    }
  }

  /** Stops the broker when the whole test run ends. */
  private record Broker(Runnable stop) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() {
      stop.run();
    }
  }
}
