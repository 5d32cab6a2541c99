package io.tidegate.webhook;

import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaHeader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/**
 * A record read back from a dead-letter topic, with what its {@code tidegate-dlq-*} headers say of where it came
 * from. A record without them (written there by someone else) is its own source.
 */
record DeadLetter(KafkaConsumerRecord<byte[], byte[]> record, Source source, int attempts) {
  /** Where the record was first read: its webhook-id is {@code <topic>-<partition>-<offset>}. */
  record Source(String topic, int partition, long offset, long timestamp) {}

  static DeadLetter of(KafkaConsumerRecord<byte[], byte[]> r) {
    String topic = header(r, "topic");
    Long partition = number(header(r, "partition"));
    Long offset = number(header(r, "offset"));
    Long timestamp = number(header(r, "timestamp"));
    Long attempts = number(header(r, "attempts"));
    Source source = topic == null || partition == null || offset == null
        ? new Source(r.topic(), r.partition(), r.offset(), r.timestamp())
        : new Source(topic, partition.intValue(), offset, timestamp == null ? r.timestamp() : timestamp);
    return new DeadLetter(r, source, attempts == null ? 0 : (int) Math.min(attempts, 1_000_000));
  }

  /** The {@code webhook-id} the original delivery used, so that a receiver that got it once sees the same key. */
  String id() {
    return source.topic() + "-" + source.partition() + "-" + source.offset();
  }

  /** The record as it was first read: its source coordinates, key, value and headers without the dlq ones. */
  ConsumerRecord<byte[], byte[]> original() {
    RecordHeaders headers = new RecordHeaders();
    for (KafkaHeader h : record.headers()) {
      if (!h.key().startsWith(DeadLetters.PREFIX)) {
        headers.add(h.key(), h.value() == null ? null : h.value().getBytes());
      }
    }
    return new ConsumerRecord<>(source.topic(), source.partition(), source.offset(), source.timestamp(),
        TimestampType.CREATE_TIME, -1, -1, record.key(), record.value(), headers, Optional.empty());
  }

  private static String header(KafkaConsumerRecord<byte[], byte[]> r, String name) {
    String value = null;
    for (KafkaHeader h : r.headers()) {
      if (h.key().equals(DeadLetters.PREFIX + name) && h.value() != null) {
        value = new String(h.value().getBytes(), StandardCharsets.UTF_8); // the last one wins
      }
    }
    return value;
  }

  private static Long number(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
