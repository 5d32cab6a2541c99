package io.tidegate.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.error.ApiError;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordFilterTest {
  private static ConsumerRecord<byte[], byte[]> record(String key, String value) {
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("t", 0, 0, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    r.headers().add("event-type", "user.created".getBytes(StandardCharsets.UTF_8));
    return r;
  }

  private static RecordFilter filter(String json) {
    return RecordFilter.parse(new JsonObject(json));
  }

  @Test
  void valuePathsCompareJsonValues() {
    var r = record("u1", "{\"user\":{\"id\":7,\"tags\":[\"a\",\"b\"],\"name\":null},\"ok\":true}");
    assertTrue(filter("{\"value\":{\"user.id\":7}}").matches(r));
    assertTrue(filter("{\"value\":{\"user.id\":7.0}}").matches(r), "numbers by value");
    assertFalse(filter("{\"value\":{\"user.id\":\"7\"}}").matches(r), "a string is not a number");
    assertTrue(filter("{\"value\":{\"user.tags.1\":\"b\"}}").matches(r), "a number segment indexes an array");
    assertTrue(filter("{\"value\":{\"user.name\":null}}").matches(r), "present and null");
    assertFalse(filter("{\"value\":{\"user.missing\":null}}").matches(r), "absent is not null");
    assertTrue(filter("{\"value\":{\"ok\":true,\"user.id\":7},\"key\":\"u1\",\"headers\":{\"event-type\":\"user.created\"}}").matches(r));
    assertFalse(filter("{\"value\":{\"ok\":true,\"user.id\":7},\"key\":\"u2\"}").matches(r));
    assertFalse(filter("{\"value\":{\"user.id\":7}}").matches(record("u1", "user.id=7")), "text never matches");
    assertFalse(filter("{\"value\":{\"user.id\":7}}").matches(record("u1", null)), "nor a tombstone");
  }

  @Test
  void equalConditionsMakeEqualFilters() {
    assertEquals(filter("{\"value\":{\"a\":1,\"b\":\"x\"},\"key\":\"k\"}"), filter("{\"key\":\"k\",\"value\":{\"b\":\"x\",\"a\":1.0}}"));
    assertEquals(filter("{\"value\":{\"a\":1}}").hashCode(), filter("{\"value\":{\"a\":1.00}}").hashCode());
    assertNotEquals(filter("{\"value\":{\"a\":1}}"), filter("{\"value\":{\"a\":\"1\"}}"));
    assertSame(RecordFilter.ALL, RecordFilter.parse(null));
    assertSame(RecordFilter.ALL, filter("{}"));
  }

  @Test
  void badFiltersAreRefusedNamingTheField() {
    assertEquals(400, assertThrows(ApiError.class, () -> filter("{\"value\":\"user.id=7\"}")).status());
    assertTrue(assertThrows(ApiError.class, () -> filter("{\"value\":{\"a..b\":1}}")).detail().contains("a..b"));
    assertTrue(assertThrows(ApiError.class, () -> filter("{\"colour\":1}")).detail().contains("colour"));
  }
}
