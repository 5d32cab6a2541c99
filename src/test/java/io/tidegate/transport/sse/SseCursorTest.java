package io.tidegate.transport.sse;

import io.tidegate.stream.Subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tidegate.error.ApiError;
import io.tidegate.stream.FeedRecord;
import io.tidegate.codec.RecordFilter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SseCursorTest {
  @Test
  void aCursorRoundTripsEveryPartitionOfEveryTopic() {
    Subscription orders = new Subscription(null, "orders", RecordFilter.ALL, false);
    orders.next.putAll(Map.of(0, 42L, 1, 17L, 2, 5L));
    Subscription pay = new Subscription(null, "pay.v1", RecordFilter.ALL, false);
    pay.next.putAll(Map.of(0, 3L, 2, 9L));
    Map<String, Subscription> subs = new LinkedHashMap<>(Map.of("orders", orders, "pay.v1", pay));
    String id = SseCursor.format(List.of("orders", "pay.v1"), subs);
    assertEquals("orders:42,17,5;pay.v1:3,,9", id);
    assertEquals(Map.of("orders", Map.of(0, 42L, 1, 17L, 2, 5L), "pay.v1", Map.of(0, 3L, 2, 9L)), SseCursor.parse(id));
    assertEquals("id: " + id + "\n\n", new String(SseCursor.idLine(List.of("orders", "pay.v1"), subs), StandardCharsets.US_ASCII));
    orders.next.put(1, Long.MAX_VALUE);
    orders.next.put(0, 0L);
    orders.next.put(2, 10L);
    String big = SseCursor.format(List.of("orders"), subs);
    assertEquals("orders:0," + Long.MAX_VALUE + ",10", big);
    assertEquals("id: " + big + "\n\n", new String(SseCursor.idLine(List.of("orders"), subs), StandardCharsets.US_ASCII));
  }

  @Test
  void anythingElseIsRefused() {
    for (String bad : List.of("orders", ":1", "orders:x", "orders:-1", "bad topic:1", "a:1;a:2", "a:1\nid: 2")) {
      assertEquals(400, assertThrows(ApiError.class, () -> SseCursor.parse(bad), bad).status());
    }
  }

  @Test
  void aValueWithLineBreaksBecomesSeveralDataLines() {
    byte[] json = "{\"type\":\"record\",\"value\":{\r\n\"a\":\n1}}".getBytes(StandardCharsets.UTF_8);
    String event = new String(FeedRecord.sseEvent(json, "{\"type\":\"record\",".length()), StandardCharsets.UTF_8);
    assertEquals("event: record\ndata: {\"value\":{\ndata: \"a\":\ndata: 1}}\n", event);
  }
}
