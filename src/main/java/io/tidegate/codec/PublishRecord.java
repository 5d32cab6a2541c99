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

  /** Bytes of the key, the value and the headers' names and values: what publish rate limits count. */
  public long payloadBytes() {
    long size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    for (Header h : headers) {
      size += h.key().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + (h.value() == null ? 0 : h.value().length);
    }
    return size;
  }

  /** Payload bytes of every record (see {@link #payloadBytes()}). */
  public static long payloadBytes(List<PublishRecord> records) {
    long size = 0;
    for (PublishRecord r : records) {
      size += r.payloadBytes();
    }
    return size;
  }

  /** The records with their headers passed through {@code headers}; the same list when none changed. */
  public static List<PublishRecord> withHeaders(List<PublishRecord> records,
      java.util.function.UnaryOperator<List<Header>> headers) {
    List<PublishRecord> out = null;
    for (int i = 0; i < records.size(); i++) {
      PublishRecord r = records.get(i);
      List<Header> h = headers.apply(r.headers());
      if (h != r.headers() && out == null) {
        out = new java.util.ArrayList<>(records.subList(0, i));
      }
      if (out != null) {
        out.add(h == r.headers() ? r : new PublishRecord(r.key(), r.value(), h, r.partition(), r.timestamp()));
      }
    }
    return out == null ? records : out;
  }
}
