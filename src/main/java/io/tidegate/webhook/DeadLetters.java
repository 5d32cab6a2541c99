package io.tidegate.webhook;

import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

/**
 * Writes a record that kept failing to its webhook's dead-letter topic: the original key, value and headers, plus
 * {@code tidegate-dlq-topic}, {@code -partition}, {@code -offset}, {@code -status}, {@code -error}, {@code -attempts}.
 */
final class DeadLetters {
  static final int MAX_ERROR_CHARS = 1024;
  private final KafkaProducer<byte[], byte[]> producer;

  DeadLetters(KafkaProducer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  Future<Void> send(String topic, KafkaConsumerRecord<byte[], byte[]> r, Outcome last, int attempts) {
    KafkaProducerRecord<byte[], byte[]> out = KafkaProducerRecord.create(topic, r.key(), r.value());
    out.addHeaders(r.headers());
    String error = last.error() == null ? "" : last.error();
    out.addHeader("tidegate-dlq-topic", r.topic())
        .addHeader("tidegate-dlq-partition", String.valueOf(r.partition()))
        .addHeader("tidegate-dlq-offset", String.valueOf(r.offset()))
        .addHeader("tidegate-dlq-status", String.valueOf(last.status()))
        .addHeader("tidegate-dlq-error", error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) : error)
        .addHeader("tidegate-dlq-attempts", String.valueOf(attempts));
    return producer.send(out).mapEmpty();
  }
}
