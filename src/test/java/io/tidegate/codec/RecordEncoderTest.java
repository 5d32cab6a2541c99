package io.tidegate.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class RecordEncoderTest {

  private static ConsumerRecord<byte[], byte[]> record(String key, byte[] value) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(new RecordHeader("event-type", "user.created".getBytes(StandardCharsets.UTF_8)));
    return new ConsumerRecord<>("orders", 2, 41, 1763700000000L, TimestampType.CREATE_TIME, 0, 0,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, headers, Optional.empty());
  }

  private static JsonObject encode(byte[] value) {
    return new JsonObject(new String(RecordEncoder.encode(record("u1", value), null), StandardCharsets.UTF_8));
  }

  @Test
  void jsonBytesBecomeValueVerbatim() {
    byte[] value = "{ \"id\" : 7 }".getBytes(StandardCharsets.UTF_8);
    String wire = new String(RecordEncoder.encode(record("u1", value), null), StandardCharsets.UTF_8);
    assertTrue(wire.endsWith(",\"value\":{ \"id\" : 7 }}"), wire);
    JsonObject r = new JsonObject(wire);
    assertEquals("orders", r.getString("topic"));
    assertEquals(2, r.getInteger("partition"));
    assertEquals(41L, r.getLong("offset"));
    assertEquals(1763700000000L, r.getLong("timestamp"));
    assertEquals("u1", r.getString("key"));
    assertEquals("user.created", r.getJsonObject("headers").getString("event-type"));
    assertEquals(7, r.getJsonObject("value").getInteger("id"));
  }

  @Test
  void exactlyOneValueFormIsPresent() {
    JsonObject text = encode("not json".getBytes(StandardCharsets.UTF_8));
    assertEquals("not json", text.getString("text"));
    assertFalse(text.containsKey("value") || text.containsKey("binary"));
    byte[] bin = {(byte) 0xC3, 0x28, 0, 1};
    JsonObject binary = encode(bin);
    assertEquals(Base64.getEncoder().encodeToString(bin), binary.getString("binary"));
    assertFalse(binary.containsKey("value") || binary.containsKey("text"));
    JsonObject tomb = encode(null);
    assertTrue(tomb.containsKey("value") && tomb.getValue("value") == null);
  }

  @Test
  void theBytesNullAreTextSoTombstonesStayUnambiguous() {
    assertEquals("null", encode("null".getBytes(StandardCharsets.UTF_8)).getString("text"));
  }

  @Test
  void almostJsonIsText() {
    assertEquals("{\"a\":1} extra", encode("{\"a\":1} extra".getBytes(StandardCharsets.UTF_8)).getString("text"));
    assertEquals("{\"a\":\"tab\there\"}", encode("{\"a\":\"tab\there\"}".getBytes(StandardCharsets.UTF_8)).getString("text"));
    assertEquals(42, encode("42".getBytes(StandardCharsets.UTF_8)).getInteger("value"));
  }

  @Test
  void invalidUtf8InsideAJsonStringIsBinary() {
    byte[] bytes = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}; // an encoded surrogate
    assertTrue(encode(bytes).containsKey("binary"));
  }

  @Test
  void typeComesFirstWhenAsked() {
    String wire = new String(RecordEncoder.encode(record(null, "1".getBytes(StandardCharsets.UTF_8)), "record"),
        StandardCharsets.UTF_8);
    assertTrue(wire.startsWith("{\"type\":\"record\",\"topic\":\"orders\""), wire);
    assertTrue(new JsonObject(wire).containsKey("key"));
  }
}
