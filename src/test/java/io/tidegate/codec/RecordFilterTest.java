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

  private static ConsumerRecord<byte[], byte[]> withHeaders(String key, String value, String... headers) {
    ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("t", 0, 0, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < headers.length; i += 2) {
      r.headers().add(headers[i], headers[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return r;
  }

  @Test
  void andKeepsTheConditionsOfBoth() {
    RecordFilter both = filter("{\"key\":\"alice\"}").and(filter("{\"headers\":{\"kind\":\"mention\"}}"));
    assertTrue(both.matches(withHeaders("alice", "{}", "kind", "mention")));
    assertFalse(both.matches(withHeaders("alice", "{}", "kind", "like")), "the header condition stays");
    assertFalse(both.matches(withHeaders("bob", "{}", "kind", "mention")), "the key condition stays");
    assertEquals(filter("{\"key\":\"alice\",\"headers\":{\"kind\":\"mention\"}}"), both,
        "one filter, equal to the same conditions written at once");
    RecordFilter values = filter("{\"value\":{\"user.id\":7}}").and(filter("{\"value\":{\"ok\":true}}"));
    assertTrue(values.matches(withHeaders("k", "{\"user\":{\"id\":7},\"ok\":true}")));
    assertFalse(values.matches(withHeaders("k", "{\"user\":{\"id\":7},\"ok\":false}")));
    assertTrue(values.readsValue());
  }

  @Test
  void andOfEqualConditionsInAnyOrderGivesEqualFilters() {
    RecordFilter a = filter("{\"key\":\"alice\"}");
    RecordFilter b = filter("{\"headers\":{\"x\":\"1\",\"y\":\"2\"},\"value\":{\"n\":8}}");
    RecordFilter c = filter("{\"headers\":{\"y\":\"2\",\"x\":\"1\"},\"value\":{\"n\":8.0},\"key\":\"alice\"}");
    assertEquals(a.and(b), b.and(a));
    assertEquals(a.and(b).hashCode(), b.and(a).hashCode());
    assertEquals(c, a.and(b));
    assertEquals(a, a.and(a), "a condition twice is the condition once");
    assertEquals(a, a.and(filter("{\"key\":\"alice\"}")));
    assertEquals(a.and(filter("{\"value\":{\"n\":8}}")), a.and(filter("{\"value\":{\"n\":8.00}}")),
        "the same number in two forms is one condition");
  }

  @Test
  void andWithAllIsTheOtherFilter() {
    RecordFilter a = filter("{\"key\":\"alice\"}");
    assertSame(a, a.and(RecordFilter.ALL));
    assertSame(a, RecordFilter.ALL.and(a));
    assertSame(RecordFilter.ALL, RecordFilter.ALL.and(RecordFilter.ALL));
  }

  @Test
  void contradictingConditionsMatchNothingNeverTheLooserOne() {
    var alice = withHeaders("alice", "{\"user\":{\"id\":7}}", "kind", "a");
    var bob = withHeaders("bob", "{\"user\":{\"id\":8}}", "kind", "b");
    RecordFilter keys = filter("{\"key\":\"alice\"}").and(filter("{\"key\":\"bob\"}"));
    assertSame(RecordFilter.NONE, keys);
    RecordFilter headers = filter("{\"headers\":{\"kind\":\"a\"}}").and(filter("{\"headers\":{\"kind\":\"b\"}}"));
    RecordFilter values = filter("{\"value\":{\"user.id\":7}}").and(filter("{\"value\":{\"user.id\":8}}"));
    RecordFilter nullOrNot = filter("{\"value\":{\"user.id\":null}}").and(filter("{\"value\":{\"user.id\":7}}"));
    for (RecordFilter f : new RecordFilter[] {keys, headers, values, nullOrNot}) {
      assertSame(RecordFilter.NONE, f, f.toString());
      assertFalse(f.matches(alice));
      assertFalse(f.matches(bob));
      assertFalse(f.isAll());
    }
    assertSame(RecordFilter.NONE, RecordFilter.NONE.and(RecordFilter.ALL));
    assertSame(RecordFilter.NONE, filter("{\"key\":\"alice\"}").and(RecordFilter.NONE));
    assertSame(RecordFilter.NONE, RecordFilter.NONE.and(filter("{\"key\":\"alice\"}")));
    assertNotEquals(RecordFilter.NONE, RecordFilter.ALL);
    assertNotEquals(RecordFilter.NONE, filter("{\"key\":\"none\"}"));
  }

  @Test
  void overlappingPathsAreBothChecked() {
    // "user" = {"id":7} and "user.id" = 8 cannot both hold: both are evaluated, so nothing passes
    RecordFilter f = filter("{\"value\":{\"user\":{\"id\":7}}}").and(filter("{\"value\":{\"user.id\":8}}"));
    assertFalse(f.matches(withHeaders("k", "{\"user\":{\"id\":7}}")));
    assertFalse(f.matches(withHeaders("k", "{\"user\":{\"id\":8}}")));
  }
}
