package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.endOffsetSum;
import static io.tidegate.testing.KafkaTestClients.readAll;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@GatewayIT
class PublishIT {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static Http.Response publish(String topic, Object body, String... headers) {
    return Http.postJson(gw.url("/topics/" + topic + "/records"), body, headers);
  }

  @Test
  void thousandRecordsWithTenKeysLandOnePartitionPerKeyInOrder() {
    String topic = uniqueTopic("keys");
    createTopic(topic, 6);
    // 1,000 records, 10 keys, sent as 20 concurrent batches of 50 so that requests interleave.
    List<CompletableFuture<Http.Response>> sends = new ArrayList<>();
    for (int batch = 0; batch < 20; batch++) {
      JsonArray records = new JsonArray();
      for (int i = 0; i < 50; i++) {
        int n = batch * 50 + i;
        records.add(new JsonObject().put("key", "k" + (n % 10)).put("value", new JsonObject().put("seq", i).put("batch", batch)));
      }
      JsonObject body = new JsonObject().put("records", records);
      sends.add(CompletableFuture.supplyAsync(() -> publish(topic, body)));
    }
    Map<String, Integer> keyPartition = new HashMap<>();
    for (CompletableFuture<Http.Response> f : sends) {
      Http.Response r = f.join();
      assertEquals(200, r.status(), r.body());
      assertEquals(50, r.json().getJsonArray("results").size());
    }
    List<ConsumerRecord<byte[], byte[]>> all = readAll(topic, 1000);
    assertEquals(1000, all.size(), "every acknowledged record must be in Kafka exactly once");
    Map<String, Map<Integer, Integer>> lastSeqPerBatch = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : all) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      Integer p = keyPartition.putIfAbsent(key, r.partition());
      assertEquals(p == null ? r.partition() : p, r.partition(), "key " + key + " must stay on one partition");
      JsonObject v = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
      Map<Integer, Integer> last = lastSeqPerBatch.computeIfAbsent(key, k -> new HashMap<>());
      Integer prev = last.put(v.getInteger("batch"), v.getInteger("seq"));
      assertTrue(prev == null || prev < v.getInteger("seq"), "records of one key from one request must keep their order");
    }
    assertEquals(10, keyPartition.size());
  }

  @Test
  void sameKeyGoesToSamePartitionAcrossRequests() {
    String topic = uniqueTopic("samekey");
    createTopic(topic, 6);
    Set<Integer> partitions = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      Http.Response r = publish(topic, new JsonObject().put("key", "user-42").put("value", i));
      assertEquals(200, r.status(), r.body());
      partitions.add(r.json().getJsonArray("results").getJsonObject(0).getInteger("partition"));
    }
    assertEquals(1, partitions.size(), "one key, one partition");
  }

  @Test
  void headersAndBinaryValuesRoundTripByteForByte() {
    String topic = uniqueTopic("bytes");
    createTopic(topic, 1);
    byte[] binary = new byte[1024];
    new Random(7).nextBytes(binary);
    binary[0] = (byte) 0xC3; // not valid UTF-8 after it
    binary[1] = (byte) 0x28;
    String json = "{ \"spaced\" : [1, 2.50, \"é\\u00e9\"] }";
    JsonObject body = new JsonObject().put("records", new JsonArray()
        .add(new JsonObject().put("key", "b").put("binary", Base64.getEncoder().encodeToString(binary))
            .put("headers", new JsonObject().put("event-type", "user.created").put("trace", "ü-1")))
        .add(new JsonObject().put("key", "t").put("text", "line1\nline2 ✓"))
        .add(new JsonObject().put("key", "tomb").putNull("value")));
    // a JSON value is kept exactly as sent: spacing and number formatting included
    String raw = body.encode().replace("]}", ",{\"key\":\"j\",\"value\":" + json + "}]}");
    Http.Response r = Http.post(gw.url("/topics/" + topic + "/records"), "application/json", raw);
    assertEquals(200, r.status(), r.body());

    List<ConsumerRecord<byte[], byte[]>> got = readAll(topic, 4);
    assertEquals(4, got.size());
    assertArrayEquals(binary, got.get(0).value(), "binary must round-trip byte for byte");
    Map<String, String> headers = new HashMap<>();
    for (Header h : got.get(0).headers()) {
      headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
    }
    assertEquals(Map.of("event-type", "user.created", "trace", "ü-1"), headers);
    assertEquals("line1\nline2 ✓", new String(got.get(1).value(), StandardCharsets.UTF_8));
    assertNull(got.get(2).value(), "value null is a tombstone");
    assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), got.get(3).value(), "a JSON value is written as sent");

    // and the history page gives them back in the contract's format
    JsonArray page = Http.get(gw.url("/topics/" + topic + "/records?from=earliest")).json().getJsonArray("records");
    assertEquals(Base64.getEncoder().encodeToString(binary), page.getJsonObject(0).getString("binary"));
    assertEquals("user.created", page.getJsonObject(0).getJsonObject("headers").getString("event-type"));
    assertEquals("line1\nline2 ✓", page.getJsonObject(1).getString("text"));
    assertTrue(page.getJsonObject(2).containsKey("value") && page.getJsonObject(2).getValue("value") == null);
    assertEquals(new JsonObject(json), page.getJsonObject(3).getJsonObject("value"));
  }

  @Test
  void repeatedIdempotencyKeyAnswersTheFirstResultAndAddsNothing() {
    String topic = uniqueTopic("idem");
    createTopic(topic, 3);
    JsonObject body = new JsonObject().put("records", new JsonArray()
        .add(new JsonObject().put("key", "a").put("value", 1))
        .add(new JsonObject().put("key", "b").put("value", 2)));
    Http.Response first = publish(topic, body, "Idempotency-Key", "order-77");
    assertEquals(200, first.status(), first.body());
    long after = endOffsetSum(topic, 3);
    assertEquals(2, after);
    for (int i = 0; i < 3; i++) {
      Http.Response again = publish(topic, body, "Idempotency-Key", "order-77");
      assertEquals(200, again.status());
      assertEquals(first.json(), again.json(), "a repeat answers the first result");
      assertEquals("true", again.header("Idempotent-Replayed"));
    }
    assertEquals(after, endOffsetSum(topic, 3), "a repeated Idempotency-Key must publish nothing");

    Http.Response different = publish(topic, new JsonObject().put("value", 3), "Idempotency-Key", "order-77");
    assertEquals(422, different.status(), "the same key with another body is refused");
    Http.Response otherKey = publish(topic, body, "Idempotency-Key", "order-78");
    assertEquals(200, otherKey.status());
    assertEquals(after + 2, endOffsetSum(topic, 3));
  }

  @Test
  void asyncAnswers202AndTheRecordLands() {
    String topic = uniqueTopic("async");
    createTopic(topic, 1);
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records?async=true"), new JsonObject().put("value", "x"));
    assertEquals(202, r.status(), r.body());
    assertEquals(1, readAll(topic, 1).size());
    Http.Response unknown = Http.postJson(gw.url("/topics/" + uniqueTopic("none") + "/records?async=true"),
        new JsonObject().put("value", "x"));
    assertEquals(404, unknown.status(), "async still checks the topic");
  }

  @Test
  void rawBodiesArePublishedAsTheValue() {
    String topic = uniqueTopic("raw");
    createTopic(topic, 2);
    Http.Response text = Http.post(gw.url("/topics/" + topic + "?key=k1"), "text/plain", "hello, kafka");
    assertEquals(200, text.status(), text.body());
    byte[] bytes = {0, 1, 2, (byte) 0xFF, (byte) 0xFE};
    Http.Response bin = Http.post(gw.url("/topics/" + topic + "?key=k1"), "application/octet-stream", bytes);
    assertEquals(200, bin.status(), bin.body());
    assertEquals(text.json().getJsonArray("results").getJsonObject(0).getInteger("partition"),
        bin.json().getJsonArray("results").getJsonObject(0).getInteger("partition"), "same key, same partition");
    List<ConsumerRecord<byte[], byte[]>> got = readAll(topic, 2);
    got.sort(java.util.Comparator.comparingLong(ConsumerRecord::offset));
    assertEquals("hello, kafka", new String(got.get(0).value(), StandardCharsets.UTF_8));
    assertArrayEquals(bytes, got.get(1).value());
    assertEquals("k1", new String(got.get(1).key(), StandardCharsets.UTF_8));
  }

  @Test
  void explicitPartitionAndTimestampAreHonoured() {
    String topic = uniqueTopic("explicit");
    createTopic(topic, 4);
    long ts = 1_700_000_000_123L;
    Http.Response r = publish(topic, new JsonObject().put("key", "x").put("partition", 3).put("timestamp", ts).put("value", 1));
    assertEquals(200, r.status(), r.body());
    JsonObject result = r.json().getJsonArray("results").getJsonObject(0);
    assertEquals(3, result.getInteger("partition"));
    assertEquals(ts, result.getLong("timestamp"));
    ConsumerRecord<byte[], byte[]> got = readAll(topic, 1).get(0);
    assertEquals(3, got.partition());
    assertEquals(ts, got.timestamp());
  }

  @Test
  void aTopicCreatedElsewhereIsPublishableAtOnce() {
    // The producer has no metadata for this topic yet: the first send must wait without blocking the loop.
    for (int i = 0; i < 5; i++) {
      String topic = uniqueTopic("fresh");
      createTopic(topic, 2);
      Http.Response r = publish(topic, new JsonObject().put("value", i));
      assertEquals(200, r.status(), r.body());
    }
  }

  @Test
  void publishingTheMomentATopicIsCreatedLosesNothing() {
    // Kafka before 4.5 (KAFKA-15591) can drop an idempotent producer's first request to a partition that its
    // leader is still creating; the gateway must wait for the partitions before it writes.
    for (int round = 0; round < 8; round++) {
      String topic = uniqueTopic("instant");
      createTopic(topic, 6);
      List<CompletableFuture<Http.Response>> sends = new ArrayList<>();
      for (int req = 0; req < 12; req++) {
        JsonArray records = new JsonArray();
        for (int i = 0; i < 20; i++) {
          records.add(new JsonObject().put("key", "k" + (req * 20 + i)).put("value", i));
        }
        JsonObject body = new JsonObject().put("records", records);
        sends.add(CompletableFuture.supplyAsync(() -> publish(topic, body)));
      }
      for (CompletableFuture<Http.Response> f : sends) {
        Http.Response r = f.join();
        assertEquals(200, r.status(), r.body());
      }
      assertEquals(240, endOffsetSum(topic, 6), "every acknowledged record is in the topic");
    }
  }

  @Test
  void aRecordKafkaRefusesFailsAloneWith207() {
    String topic = uniqueTopic("partial");
    createTopic(topic, 2, Map.of("max.message.bytes", "2000"));
    String big = "x".repeat(5000);
    JsonObject body = new JsonObject().put("records", new JsonArray()
        .add(new JsonObject().put("partition", 0).put("text", "small"))
        .add(new JsonObject().put("partition", 1).put("text", big)));
    Http.Response r = publish(topic, body);
    assertEquals(207, r.status(), r.body());
    JsonArray results = r.json().getJsonArray("results");
    assertEquals(0, results.getJsonObject(0).getInteger("partition"));
    JsonObject error = results.getJsonObject(1).getJsonObject("error");
    assertNotNull(error, "the refused record carries its own error");
    assertEquals(413, error.getInteger("status"));
  }

  @Test
  void concurrentSingleRecordPublishesAreAllAcknowledged() {
    String topic = uniqueTopic("concurrent");
    createTopic(topic, 3);
    List<CompletableFuture<Http.Response>> sends = IntStream.range(0, 200)
        .mapToObj(i -> CompletableFuture.supplyAsync(() -> publish(topic, new JsonObject().put("key", "k" + i).put("value", i))))
        .toList();
    Set<String> positions = new HashSet<>();
    for (CompletableFuture<Http.Response> f : sends) {
      Http.Response r = f.join();
      assertEquals(200, r.status(), r.body());
      JsonObject res = r.json().getJsonArray("results").getJsonObject(0);
      assertTrue(positions.add(res.getInteger("partition") + "/" + res.getLong("offset")), "each ack names its own offset");
    }
    assertEquals(200, readAll(topic, 200).size());
  }

  @Test
  void autoCreationCreatesUnknownTopicsWhenSwitchedOn() {
    try (TestGateway auto = TestGateway.start(new JsonObject().put("kafka", new JsonObject().put("autoCreateTopics", true)))) {
      String topic = uniqueTopic("auto");
      Http.Response r = Http.postJson(auto.url("/topics/" + topic + "/records"), new JsonObject().put("value", 1));
      assertEquals(200, r.status(), r.body());
      assertEquals(3, Http.get(auto.url("/topics/" + topic)).json().getJsonArray("partitions").size(),
          "created with kafka.defaultPartitions");
    }
    Http.Response r = publish(uniqueTopic("noauto"), new JsonObject().put("value", 1));
    assertEquals(404, r.status(), "without auto-creation an unknown topic is 404");
  }
}
