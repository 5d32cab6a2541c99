package io.tidegate.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.error.ApiError;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordParserTest {

  private static List<PublishRecord> parse(String json) {
    return RecordParser.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  private static ApiError error(String json) {
    return assertThrows(ApiError.class, () -> parse(json));
  }

  @Test
  void oneRecordWithEveryField() {
    PublishRecord r = parse("{\"key\":\"u1\",\"value\":{\"id\":7},\"headers\":{\"event-type\":\"user.created\"},"
        + "\"partition\":2,\"timestamp\":1763700000000}").get(0);
    assertArrayEquals("u1".getBytes(StandardCharsets.UTF_8), r.key());
    assertEquals("{\"id\":7}", new String(r.value(), StandardCharsets.UTF_8));
    assertEquals("event-type", r.headers().get(0).key());
    assertEquals(2, r.partition());
    assertEquals(1763700000000L, r.timestamp());
  }

  @Test
  void jsonValuesKeepTheirExactBytes() {
    String value = "{ \"a\" : [1, 2.50e3, {\"b\" : null}] , \"s\":\"\\u00e9\" }";
    PublishRecord r = parse("{\"records\":[{\"value\":" + value + "}]}").get(0);
    assertEquals(value, new String(r.value(), StandardCharsets.UTF_8));
    assertEquals("2.50e3", new String(parse("{\"value\":2.50e3}").get(0).value(), StandardCharsets.UTF_8));
    assertEquals("\"hi\"", new String(parse("{\"value\":\"hi\"}").get(0).value(), StandardCharsets.UTF_8));
    assertEquals("true", new String(parse("{\"value\":true}").get(0).value(), StandardCharsets.UTF_8));
  }

  @Test
  void textBinaryAndTombstone() {
    assertEquals("a\nb", new String(parse("{\"text\":\"a\\nb\"}").get(0).value(), StandardCharsets.UTF_8));
    assertArrayEquals(new byte[] {0, 1, (byte) 0xFF}, parse("{\"binary\":\"AAH/\"}").get(0).value());
    assertNull(parse("{\"key\":\"k\",\"value\":null}").get(0).value());
    assertNull(parse("{\"key\":\"k\"}").get(0).value(), "no value at all is a tombstone too");
  }

  @Test
  void batchesKeepOrder() {
    List<PublishRecord> rs = parse("{\"records\":[{\"value\":1},{\"value\":2},{\"value\":3}]}");
    assertEquals(List.of("1", "2", "3"), rs.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList());
  }

  @Test
  void malformedJsonIs400EvenAfterAnInvalidRecord() {
    assertEquals(400, error("{\"records\":[{\"vaule\":1}, {").status());
    assertEquals(400, error("{\"value\":1} {}").status());
    assertEquals(400, error("{\"value\":tru}").status());
  }

  @Test
  void invalidRecordsAre422NamingTheIndex() {
    ApiError e = error("{\"records\":[{\"value\":1},{\"text\":\"a\",\"binary\":\"AA==\"}]}");
    assertEquals(422, e.status());
    assertTrue(e.detail().startsWith("record 1:"), e.detail());
    assertEquals(422, error("{\"records\":[{\"binary\":\"@@\"}]}").status());
    assertEquals(422, error("{\"headers\":{\"h\":[1]}}").status());
    assertEquals(422, error("{\"partition\":1.5}").status());
    assertEquals(422, error("{\"timestamp\":-1}").status());
    assertEquals(422, error("{\"records\":[]}").status());
    assertEquals(422, error("\"just a string\"").status());
  }

  @Test
  void tenThousandDeepIsMalformedNotACrash() {
    String deep = "[".repeat(10_000) + "]".repeat(10_000);
    for (String body : new String[] {"{\"value\":" + deep + "}", deep, "{\"records\":[{\"value\":" + deep + "}]}"}) {
      ApiError e = assertThrows(ApiError.class, () -> RecordParser.parse(body.getBytes(StandardCharsets.UTF_8)));
      assertEquals(400, e.status(), e.detail());
    }
  }

  @Test
  void utf16And32AreUnsupportedMediaTypes() {
    for (String cs : new String[] {"UTF-16", "UTF-16LE", "UTF-16BE", "UTF-32", "UTF-32LE", "UTF-32BE"}) {
      byte[] body = "{\"value\":{\"a\":1}}".getBytes(java.nio.charset.Charset.forName(cs));
      ApiError e = assertThrows(ApiError.class, () -> RecordParser.parse(body));
      assertEquals(415, e.status(), cs + ": " + e.detail());
      assertTrue(e.detail().contains("UTF-8"), e.detail());
    }
  }
}
