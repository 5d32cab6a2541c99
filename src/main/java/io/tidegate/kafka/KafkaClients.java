package io.tidegate.kafka;

import io.tidegate.config.TidegateConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Builds Kafka's own clients from the gateway configuration. */
public final class KafkaClients {
  private final String bootstrapServers;
  private final TidegateConfig.Kafka config;
  /** Catch-up consumers kept between catch-ups (as many as the catch-up workers can use at once, twice over). */
  private final CatchUpConsumers catchUps = new CatchUpConsumers(this::catchUpConsumer, 8);

  public KafkaClients(String bootstrapServers, TidegateConfig.Kafka config) {
    this.bootstrapServers = bootstrapServers;
    this.config = config;
  }

  /** The catch-up consumers kept for reuse; see {@link CatchUpConsumers}. */
  public CatchUpConsumers catchUpConsumers() {
    return catchUps;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * The shared producer. {@code max.block.ms} is 0: {@code send} never waits for metadata or buffer space
   * (it fails at once instead, and {@link Publisher} retries on a timer), so it is safe on an event loop.
   */
  public KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> p = new HashMap<>(config.producer());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0);
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "tidegate-producer");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Kafka's admin client for the gateway's own work: the health probe and publishing's topic look-ups. The
   * calls clients cause go to {@link #clientsAdmin}, a client of its own, so a flood of them never delays these.
   */
  public AdminClient systemAdmin() {
    return admin("tidegate-admin");
  }

  /** Kafka's admin client for the work clients ask for: subscribe look-ups, the topic API, offsets, groups. */
  public AdminClient clientsAdmin() {
    return admin("tidegate-admin-clients");
  }

  private AdminClient admin(String clientId) {
    Map<String, Object> p = new HashMap<>(config.admin());
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    Object id = p.get(CommonClientConfigs.CLIENT_ID_CONFIG);
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, id == null ? clientId : id + clientId.substring("tidegate-admin".length()));
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
    p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
    p.putIfAbsent(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    return AdminClient.create(p);
  }

  /** A group-less consumer for reading history (manual assignment, no commits). */
  public KafkaConsumer<byte[], byte[]> historyConsumer() {
    return grouplessConsumer("tidegate-history", Map.of(), Map.of());
  }

  /**
   * A catch-up read's consumer: like the history consumer, but a position the log no longer holds fails the
   * poll ({@code auto.offset.reset=none}) instead of skipping silently, so the reader can announce the gap.
   */
  public KafkaConsumer<byte[], byte[]> catchUpConsumer() {
    return grouplessConsumer("tidegate-catchup", Map.of(), Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
  }

  /**
   * The live feed's consumer: manual assignment, no group, no commits; short fetch waits for low latency.
   * {@code auto.offset.reset} is {@code none}, whatever the configuration says: a position the log no longer
   * holds must fail the poll, so that the feed announces the gap instead of skipping it silently.
   */
  public KafkaConsumer<byte[], byte[]> feedConsumer() {
    return grouplessConsumer("tidegate-feed", Map.of(
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20), Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"));
  }

  /**
   * A consumer-group member's consumer: commits only when asked, cooperative rebalancing (a partition that
   * stays with its member is not taken away and re-read), and small batches so a client's budget paces it.
   */
  public KafkaConsumer<byte[], byte[]> groupConsumer(String group, String autoOffsetReset) {
    // a member learns of a rebalance at its next heartbeat: every second rather than Kafka's default three
    // a member holds at most a fetch of 4 MiB besides what its socket has queued (Kafka's default is 50 MB)
    Map<String, Object> p = new HashMap<>(Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500,
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 4 * 1024 * 1024));
    p.putAll(config.consumer());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, autoOffsetReset);
    if (!"consumer".equalsIgnoreCase(String.valueOf(p.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))) {
      p.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
          org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
    }
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "tidegate-member-" + group + "-" + MEMBERS.incrementAndGet());
    p.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
    p.putIfAbsent(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static final java.util.concurrent.atomic.AtomicLong MEMBERS = new java.util.concurrent.atomic.AtomicLong();

  /** {@code defaults} give way to the configured consumer properties; {@code forced} do not. */
  private KafkaConsumer<byte[], byte[]> grouplessConsumer(String clientId, Map<String, Object> defaults,
      Map<String, Object> forced) {
    Map<String, Object> p = new HashMap<>(defaults);
    p.putAll(config.consumer());
    p.putAll(forced);
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
    p.putIfAbsent(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis());
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
