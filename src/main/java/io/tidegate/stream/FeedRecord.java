package io.tidegate.stream;

import io.micrometer.core.instrument.Counter;
import io.tidegate.codec.RecordFilter;
import io.tidegate.codec.TextFrames;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A consumed record with its wire frame, encoded once for every socket that will receive it, and the
 * outcome of every filter asked of it, computed once for all the subscriptions that share the filter.
 * Shared by the event loops: what it computes lazily it computes at most once.
 */
public final class FeedRecord {
  /** {@code {"type":"record",} }: the frame's first bytes, which the SSE form leaves out. */
  private static final int TYPE_PREFIX = "{\"type\":\"record\",".length();
  private static final byte[] SSE_HEAD = "event: record\n".getBytes(StandardCharsets.US_ASCII);

  private final ConsumerRecord<byte[], byte[]> record;
  private final byte[] frame;
  /** The topic's name, interned like {@link Subscription#topic}: a socket finds its subscription by identity. */
  private final String topic;
  /** The offset after this one, boxed once for every subscription's position (none boxes its own per delivery). */
  private final Long next;
  private final Counter evaluations;
  private volatile ConcurrentHashMap<RecordFilter, Boolean> outcomes;
  private volatile Object parsedValue;
  private volatile byte[] sse;
  private final io.netty.buffer.ByteBuf ws;

  /**
   * @param record      the record as Kafka gave it
   * @param frame       {@code {"type":"record",...}} as UTF-8 bytes, shared read-only by every writer
   * @param evaluations counts filter evaluations (one per record and distinct filter)
   */
  public FeedRecord(ConsumerRecord<byte[], byte[]> record, byte[] frame, Counter evaluations) {
    this.record = record;
    this.frame = frame;
    this.evaluations = evaluations;
    this.topic = record.topic().intern();
    this.next = record.offset() + 1;
    this.ws = TextFrames.shared(frame);
  }

  public ConsumerRecord<byte[], byte[]> record() {
    return record;
  }

  public byte[] frame() {
    return frame;
  }

  public String topic() {
    return topic;
  }

  public int partition() {
    return record.partition();
  }

  public long offset() {
    return record.offset();
  }

  /**
   * The record's WebSocket frame, header and all ({@link TextFrames#shared}): made once, where the record is
   * made (the live feed's thread, not an event loop); each writer writes a view of it.
   */
  public io.netty.buffer.ByteBuf wsFrame() {
    return ws;
  }

  /** {@code offset() + 1}, boxed once per record. */
  Long next() {
    return next;
  }

  /** Whether the record passes the filter; evaluated once per distinct filter, whichever loop asks first. */
  public boolean matches(RecordFilter filter) {
    if (filter.isAll()) {
      return true;
    }
    ConcurrentHashMap<RecordFilter, Boolean> m = outcomes;
    if (m == null) {
      synchronized (this) {
        m = outcomes;
        if (m == null) {
          m = new ConcurrentHashMap<>(4);
          outcomes = m;
        }
      }
    }
    return m.computeIfAbsent(filter, f -> {
      evaluations.increment();
      return f.matches(record, f.readsValue() ? value() : null);
    });
  }

  private Object value() {
    Object v = parsedValue;
    if (v == null) {
      v = RecordFilter.parseValue(record.value());
      parsedValue = v;
    }
    return v;
  }

  /**
   * The record as a Server-Sent Event without its {@code id} line: {@code event: record} and the record (the
   * frame without its {@code type}, the history page's format) in {@code data:} lines. A value's own line
   * breaks (JSON whitespace) each start a new {@code data:} line, which the client joins with a line feed.
   */
  public byte[] sse() {
    byte[] s = sse;
    if (s == null) {
      s = sseEvent(frame, TYPE_PREFIX);
      sse = s;
    }
    return s;
  }

  /** {@code event: record} and the data lines for an encoded record that starts at {@code from} after a '{'. */
  public static byte[] sseEvent(byte[] json, int from) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(json.length + 32);
    out.writeBytes(SSE_HEAD);
    out.writeBytes(DATA);
    out.write('{');
    for (int i = from; i < json.length; i++) {
      byte b = json[i];
      if (b == '\r') {
        if (i + 1 < json.length && json[i + 1] == '\n') {
          i++;
        }
        out.write('\n');
        out.writeBytes(DATA);
      } else if (b == '\n') {
        out.write('\n');
        out.writeBytes(DATA);
      } else {
        out.write(b);
      }
    }
    out.write('\n');
    return out.toByteArray();
  }

  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
}
