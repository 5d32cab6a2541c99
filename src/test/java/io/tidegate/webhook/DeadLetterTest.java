package io.tidegate.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.codec.RecordEncoder;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** What a redrive reads back from a dead-letter topic: the original record and its webhook-id. */
class DeadLetterTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private static KafkaConsumerRecord<byte[], byte[]> wrap(ConsumerRecord<byte[], byte[]> r) {
    try {
      return (KafkaConsumerRecord<byte[], byte[]>) Class.forName("io.vertx.kafka.client.consumer.impl.KafkaConsumerRecordImpl")
          .getConstructor(ConsumerRecord.class).newInstance(r);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static ConsumerRecord<byte[], byte[]> dlq(RecordHeaders headers) {
    return new ConsumerRecord<>("hook.dlq", 2, 17, 9_000L, TimestampType.CREATE_TIME, -1, -1, b("k"), b("{\"a\":1}"),
        headers, Optional.empty());
  }

  @Test
  void theDlqHeadersGiveTheOriginalRecordAndItsWebhookId() {
    RecordHeaders h = new RecordHeaders();
    h.add("trace", b("t1"));
    h.add("tidegate-dlq-topic", b("orders"));
    h.add("tidegate-dlq-partition", b("3"));
    h.add("tidegate-dlq-offset", b("41"));
    h.add("tidegate-dlq-timestamp", b("1234"));
    h.add("tidegate-dlq-status", b("500"));
    h.add("tidegate-dlq-error", b("HTTP 500"));
    h.add("tidegate-dlq-attempts", b("3"));
    DeadLetter d = DeadLetter.of(wrap(dlq(h)));
    assertEquals("orders-3-41", d.id());
    assertEquals(3, d.attempts());
    ConsumerRecord<byte[], byte[]> o = d.original();
    assertEquals("orders", o.topic());
    assertEquals(3, o.partition());
    assertEquals(41, o.offset());
    assertEquals(1234L, o.timestamp());
    assertArrayEquals(b("k"), o.key());
    assertEquals(1, o.headers().toArray().length, "only the record's own headers");
    assertArrayEquals(b("t1"), o.headers().lastHeader("trace").value());

    ConsumerRecord<byte[], byte[]> first = new ConsumerRecord<>("orders", 3, 41, 1234L, TimestampType.CREATE_TIME, -1, -1,
        b("k"), b("{\"a\":1}"), new RecordHeaders().add("trace", b("t1")), Optional.empty());
    assertEquals(new String(RecordEncoder.encode(first, null), StandardCharsets.UTF_8),
        new String(RecordEncoder.encode(o, null), StandardCharsets.UTF_8), "the body the first delivery sent");
  }

  @Test
  void aRecordWithoutDlqHeadersIsItsOwnSourceAndUnreadableHeadersAreIgnored() {
    DeadLetter plain = DeadLetter.of(wrap(dlq(new RecordHeaders())));
    assertEquals("hook.dlq-2-17", plain.id());
    assertEquals(0, plain.attempts());
    assertEquals(9_000L, plain.original().timestamp());

    RecordHeaders h = new RecordHeaders();
    h.add("tidegate-dlq-topic", b("orders"));
    h.add("tidegate-dlq-partition", b("not a number"));
    h.add("tidegate-dlq-offset", b("5"));
    h.add("tidegate-dlq-attempts", b("many"));
    DeadLetter bad = DeadLetter.of(wrap(dlq(h)));
    assertEquals("hook.dlq-2-17", bad.id(), "no usable source: its own coordinates");
    assertEquals(0, bad.attempts());

    // written before tidegate-dlq-timestamp existed: the dead letter's own timestamp
    RecordHeaders old = new RecordHeaders();
    old.add("tidegate-dlq-topic", b("orders"));
    old.add("tidegate-dlq-partition", b("0"));
    old.add("tidegate-dlq-offset", b("7"));
    DeadLetter before = DeadLetter.of(wrap(dlq(old)));
    assertEquals("orders-0-7", before.id());
    assertEquals(9_000L, before.original().timestamp());
    assertEquals(new JsonObject(), new JsonObject(new String(RecordEncoder.encode(before.original(), null), StandardCharsets.UTF_8))
        .getJsonObject("headers"), "no dlq headers in the body");
  }
}
