package io.tidegate.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft broker (broker and controller in one) running in this JVM, for development and
 * tests. Its data survives restarts: the storage is formatted only when it holds no {@code meta.properties}.
 * {@link #start()} and {@link #stop()} block for seconds: never call them on an event loop.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;

  private final Path dataDir;
  private final int port;
  private final Map<String, String> overrides;
  private KafkaRaftServer server;

  /**
   * @param port      PLAINTEXT port on 127.0.0.1 (0: pick a free one, kept across restarts of this object)
   * @param dataDir   where logs and metadata live
   * @param overrides broker properties laid over the defaults
   */
  public EmbeddedKafka(int port, Path dataDir, Map<String, String> overrides) {
    this.port = port == 0 ? freePort() : port;
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.overrides = Map.copyOf(overrides);
  }

  public EmbeddedKafka(int port, Path dataDir) {
    this(port, dataDir, Map.of());
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public Path dataDir() {
    return dataDir;
  }

  public synchronized boolean isRunning() {
    return server != null;
  }

  /** Formats the storage if new, starts the broker and returns once it serves requests. */
  public synchronized EmbeddedKafka start() {
    if (server != null) {
      return this;
    }
    long t0 = System.nanoTime();
    Path logDir = dataDir.resolve("kafka");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Kafka data directory " + logDir, e);
    }
    int controllerPort = freePort();
    Properties props = brokerProperties(logDir, controllerPort);
    KafkaConfig config = new KafkaConfig(props, false);
    format(config, logDir);
    server = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      server.startup();
    } catch (RuntimeException e) {
      server = null;
      throw new IllegalStateException("embedded Kafka failed to start on " + bootstrapServers()
          + " (is the port taken? set TIDEGATE_EMBEDDED_KAFKA_PORT)", e);
    }
    LOG.info("Embedded Kafka broker started on {} in {} ms, data in {}",
        bootstrapServers(), (System.nanoTime() - t0) / 1_000_000, logDir);
    return this;
  }

  /** Stops the broker and waits for it; data stays on disk. */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    long t0 = System.nanoTime();
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      server = null;
    }
    LOG.info("Embedded Kafka broker on {} stopped in {} ms", bootstrapServers(), (System.nanoTime() - t0) / 1_000_000);
  }

  @Override
  public void close() {
    stop();
  }

  private Properties brokerProperties(Path logDir, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    p.put("metadata.log.dir", logDir.toString());
    // One node: internal topics cannot have three replicas.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "10");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
    p.put("num.partitions", "1");
    p.put("auto.create.topics.enable", "true");
    p.putAll(overrides);
    return p;
  }

  private static void format(KafkaConfig config, Path logDir) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    try {
      new Formatter()
          .setClusterId(Uuid.randomUuid().toString())
          .setNodeId(NODE_ID)
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(logDir.toString())
          .setDirectories(List.of(logDir.toString()))
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir, e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }
}
