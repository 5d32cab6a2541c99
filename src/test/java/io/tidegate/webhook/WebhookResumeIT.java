package io.tidegate.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.KafkaTestClients;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A webhook whose partitions were paused (it held {@code maxInFlight} records) resumes as soon as it has room,
 * without waiting for the poll under way to time out. The consumer here is the real one against the real broker,
 * except that a poll with every partition paused lasts a day instead of the stream's second: the resume must end
 * it. Before the resume woke the poll, each pause cost up to a second, and the webhook benchmark delivered 36
 * records/s to a receiver that answers at once; with this consumer, delivery stopped at the first pause. Commits
 * are slow here: a commit (vertx-kafka-client's commitSync, on the same thread) that takes the wake-up meant for a
 * paused poll must not leave that poll waiting (a second with the real timeout; for ever here).
 */
@GatewayIT
class WebhookResumeIT {

  /** Kafka's consumer, with a paused poll that only a wake-up ends (as a long poll timeout would). */
  static final class LongPausedPolls extends KafkaConsumer<byte[], byte[]> {
    LongPausedPolls(Map<String, Object> props) {
      super(props);
    }

    /** Slow commits: the consumer's thread is in one most of the time, so resumes land in them. */
    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      super.commitSync(offsets);
    }

    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
      boolean allPaused = !assignment().isEmpty() && paused().containsAll(assignment());
      return super.poll(allPaused ? Duration.ofDays(1) : timeout);
    }
  }

  @Test
  void aPausedWebhookResumesWithoutWaitingForThePollToEnd() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("resume");
    KafkaTestClients.createTopic(topic, 1);
    int n = 10;
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerExtension.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
      for (int i = 0; i < n; i++) {
        p.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8),
            ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
      }
    }
    Vertx vertx = Vertx.vertx();
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(204))) {
      WebhookDefinition def = new WebhookDefinition("resume", List.of(topic), rx.url(), null, null, 3, 100, 1000,
          10_000, "resume.dlq", null);
      Map<String, Object> props = Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBrokerExtension.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, KafkaTestClients.uniqueTopic("resume-group"),
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1,
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      // maxInFlight 1: every record pauses the partition until it is delivered
      WebhookDelivery delivery = new WebhookDelivery(def, () -> new LongPausedPolls(props), new Sender(vertx, 1),
          new DeadLetters(null), new WebhookMeters(new SimpleMeterRegistry(), "resume"), 1, (name, why) -> {});
      Awaits.result(vertx.deployVerticle(delivery));
      Awaits.until("all " + n + " records delivered, one pause after another", Duration.ofSeconds(60),
          () -> rx.accepted().size() >= n);
      assertEquals(n, rx.accepted().size(), "each record once");
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
