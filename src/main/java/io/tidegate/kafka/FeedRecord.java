package io.tidegate.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A consumed record with its wire frame, encoded once for every socket that will receive it.
 *
 * @param record the record as Kafka gave it (filters read its key and headers)
 * @param frame  {@code {"type":"record",...}} as UTF-8 bytes, shared read-only by every writer
 */
public record FeedRecord(ConsumerRecord<byte[], byte[]> record, byte[] frame) {
  public String topic() {
    return record.topic();
  }

  public int partition() {
    return record.partition();
  }

  public long offset() {
    return record.offset();
  }
}
