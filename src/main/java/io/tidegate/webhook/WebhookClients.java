package io.tidegate.webhook;

import io.tidegate.config.TidegateConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka client settings for webhooks: the configured pass-through settings, then what webhooks need. */
final class WebhookClients {
  private WebhookClients() {}

  /** The definitions reader: no group, no commits, the whole topic from its beginning. */
  static Map<String, Object> registryConsumer(String bootstrap, TidegateConfig.Kafka kafka) {
    Map<String, Object> p = common(bootstrap, kafka);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "tidegate-webhook-registry");
    return p;
  }

  /**
   * A webhook's group member. Offsets are committed only by the delivery (never automatically); a group with no
   * committed offset starts at the beginning, but {@code POST /webhooks} commits the end offsets first. A poll
   * brings at most {@code maxInFlight} records, so a paused webhook holds at most twice that many.
   */
  static Map<String, Object> deliveryConsumer(String bootstrap, TidegateConfig.Kafka kafka, String group, int maxInFlight) {
    Map<String, Object> p = common(bootstrap, kafka);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxInFlight);
    p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, group);
    if (!"consumer".equalsIgnoreCase(String.valueOf(p.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))) {
      // when a gateway joins or leaves, the others keep their partitions (and what they have in flight)
      p.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
          org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
    }
    return p;
  }

  /**
   * A redrive's reader of a dead-letter topic: partitions assigned (no group membership), offsets committed under
   * {@code group} by the redrive only, at most {@code maxRecords} a poll.
   */
  static Map<String, Object> redriveConsumer(String bootstrap, TidegateConfig.Kafka kafka, String group, int maxRecords) {
    Map<String, Object> p = common(bootstrap, kafka);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, Math.min(maxRecords, 500)));
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, group);
    return p;
  }

  /** Definitions and dead letters: acknowledged by every in-sync replica, idempotent. */
  static Map<String, Object> producer(String bootstrap, TidegateConfig.Kafka kafka) {
    Map<String, Object> p = new HashMap<>(kafka.producer());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "tidegate-webhook-producer");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  private static Map<String, Object> common(String bootstrap, TidegateConfig.Kafka kafka) {
    Map<String, Object> p = new HashMap<>(kafka.consumer());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.putIfAbsent(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) kafka.requestTimeout().toMillis());
    p.putIfAbsent(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) kafka.requestTimeout().toMillis());
    return p;
  }
}
