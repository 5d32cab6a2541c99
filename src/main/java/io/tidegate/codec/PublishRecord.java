package io.tidegate.codec;

import java.util.List;
import org.apache.kafka.common.header.Header;

/**
 * A record a client asked to publish, already in Kafka's terms.
 *
 * @param key       key bytes (UTF-8 of the client's string) or null
 * @param value     value bytes or null (a tombstone)
 * @param headers   headers in the order given
 * @param partition the partition asked for, or null to let the key decide
 * @param timestamp the timestamp asked for, or null for now
 */
public record PublishRecord(byte[] key, byte[] value, List<Header> headers, Integer partition, Long timestamp) {

  /** Bytes this record occupies, roughly as the producer buffers it. */
  public int sizeInBytes() {
    int size = 64 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    for (Header h : headers) {
      size += h.key().length() + (h.value() == null ? 0 : h.value().length);
    }
    return size;
  }
}
