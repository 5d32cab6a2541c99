package io.tidegate.webhook;

import io.vertx.core.Future;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaHeader;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;

/**
 * Writes a record that kept failing to its webhook's dead-letter topic: the original key, value and headers, plus
 * {@code tidegate-dlq-topic}, {@code -partition}, {@code -offset}, {@code -timestamp}, {@code -status},
 * {@code -error}, {@code -attempts}.
 */
final class DeadLetters {
  static final int MAX_ERROR_CHARS = 1024;
  static final String PREFIX = "tidegate-dlq-";
  private final KafkaProducer<byte[], byte[]> producer;

  DeadLetters(KafkaProducer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  Future<Void> send(String topic, KafkaConsumerRecord<byte[], byte[]> r, Outcome last, int attempts) {
    KafkaProducerRecord<byte[], byte[]> out = KafkaProducerRecord.create(topic, r.key(), r.value());
    out.addHeaders(r.headers());
    return send(out, new DeadLetter.Source(r.topic(), r.partition(), r.offset(), r.timestamp()), last, attempts);
  }

  /**
   * A dead letter that failed again on redrive: written anew (after the redrive's end, so the next redrive takes it)
   * with its original key, value and headers, its first source, and the attempts of both tries added up.
   */
  Future<Void> again(String topic, DeadLetter letter, Outcome last, int attempts) {
    KafkaConsumerRecord<byte[], byte[]> r = letter.record();
    KafkaProducerRecord<byte[], byte[]> out = KafkaProducerRecord.create(topic, r.key(), r.value());
    for (KafkaHeader h : r.headers()) {
      if (!h.key().startsWith(PREFIX)) {
        out.addHeader(h);
      }
    }
    return send(out, letter.source(), last, letter.attempts() + attempts);
  }

  private Future<Void> send(KafkaProducerRecord<byte[], byte[]> out, DeadLetter.Source from, Outcome last, int attempts) {
    String error = last.error() == null ? "" : last.error();
    out.addHeader(PREFIX + "topic", from.topic())
        .addHeader(PREFIX + "partition", String.valueOf(from.partition()))
        .addHeader(PREFIX + "offset", String.valueOf(from.offset()))
        .addHeader(PREFIX + "timestamp", String.valueOf(from.timestamp()))
        .addHeader(PREFIX + "status", String.valueOf(last.status()))
        .addHeader(PREFIX + "error", error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) : error)
        .addHeader(PREFIX + "attempts", String.valueOf(attempts));
    return producer.send(out).mapEmpty();
  }
}
