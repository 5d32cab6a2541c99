package io.tidegate.stream;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions that start at offsets the event loop's tail of the live feed still holds catch up from memory,
 * with no Kafka read; those that start before it read Kafka until they reach it, then read on from memory.
 * Either way: every record exactly once, in order per partition. The live feed keeps reading a topic for a
 * while after its last subscriber left, so a client that comes back finds the tail there.
 */
@GatewayIT
class TailCatchUpIT {
  private static Vertx clients;

  @BeforeAll
  static void start() {
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Awaits.result(clients.close());
  }

  @Test
  void aClientThatComesBackAfterTheLastSubscriberLeftCatchesUpFromMemoryWithNoKafkaRead() {
    String topic = uniqueTopic("tail");
    createTopic(topic, 3);
    try (TestGateway gw = TestGateway.start()) {
      WsClient first = WsClient.connect(clients, gw);
      first.send(subscribe(topic, "latest"));
      first.awaitType("subscribed", "s");
      publish(gw, topic, 0, 300);
      first.awaitRecords(300);
      Map<Integer, Long> at = positions(first.records().subList(0, 100));
      for (int p = 0; p < 3; p++) {
        at.putIfAbsent(p, 0L);
      }
      first.close(); // the topic's last subscriber leaves: the feed lingers on it
      Awaits.until("the gateway saw the socket go", () -> gw.gauge("tidegate.stream.subscriptions") == 0);
      publish(gw, topic, 300, 400); // written while nobody is subscribed: the feed's fetch is paused

      WsClient back = WsClient.connect(clients, gw);
      back.send(subscribe(topic, offsets(topic, at)));
      back.awaitType("subscribed", "s");
      back.awaitRecords(400 - 100);
      List<JsonObject> got = back.records();
      assertExactlyOnceInOrder(got, at);
      Set<Integer> expected = new HashSet<>(range(300, 400));
      for (JsonObject r : first.records()) {
        if (r.getLong("offset") >= at.get(r.getInteger("partition"))) {
          expected.add(r.getJsonObject("value").getInteger("n"));
        }
      }
      assertEquals(expected, new HashSet<>(values(got)),
          "every record from the positions on, the ones written while nobody was subscribed too");
      assertEquals(0.0, counter(gw, "kafka"), "no record of the past was read from Kafka");
      assertTrue(counter(gw, "tail") >= expected.size() - 100, "the past up to the feed's position came from the tail: "
          + counter(gw, "tail"));
      assertEquals(0.0, gw.gauge("tidegate.stream.catchups"), "no catch-up permit is held");
      assertTrue(gw.gauge("tidegate.stream.tail.bytes") > 0);
      back.close();
    }
  }

  @Test
  void aClientFromBeforeTheTailReadsKafkaUntilItReachesTheTailThenMemory() {
    String topic = uniqueTopic("tail-short");
    createTopic(topic, 1);
    // about a thousand of these records fit in a loop's tail, more than one Kafka read (500): the first two
    // thousand of the past are Kafka's, the rest is in memory
    long tailBytes = 1000 * 560;
    try (TestGateway gw = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("tailBytes", tailBytes)))) {
      WsClient live = WsClient.connect(clients, gw);
      live.send(subscribe(topic, "latest"));
      live.awaitType("subscribed", "s");
      for (int i = 0; i < 3000; i += 500) {
        publish(gw, topic, i, i + 500);
      }
      live.awaitRecords(3000);

      WsClient back = WsClient.connect(clients, gw);
      back.send(subscribe(topic, offsets(topic, Map.of(0, 0L))));
      back.awaitType("subscribed", "s");
      back.awaitRecords(3000);
      publish(gw, topic, 3000, 3100); // then it rides the feed
      back.awaitRecords(3100);
      assertExactlyOnceInOrder(back.records(), Map.of(0, 0L));
      assertEquals(Set.copyOf(range(0, 3100)), new HashSet<>(values(back.records())));
      double fromKafka = counter(gw, "kafka");
      double fromTail = counter(gw, "tail");
      assertTrue(fromKafka >= 1000 && fromTail >= 500 && fromKafka + fromTail == 3000,
          "the past from both sources: kafka " + fromKafka + ", tail " + fromTail);
      Awaits.until("the catch-up permit is given back", () -> gw.gauge("tidegate.stream.catchups") == 0);
      double held = gw.gauge("tidegate.stream.tail.bytes");
      assertTrue(held > 0 && held <= gw.config().http().instances() * tailBytes, "the tails keep to their bound: " + held);
      live.close();
      back.close();
    }
  }

  @Test
  void anSseStreamThatComesBackWithItsLastEventIdCatchesUpFromMemory() {
    String topic = uniqueTopic("tail-sse");
    createTopic(topic, 2);
    try (TestGateway gw = TestGateway.start()) {
      String url = gw.url("/events?topic=" + topic);
      SseClient first = SseClient.open(url);
      Awaits.until("the stream is open", () -> gw.gauge("tidegate.sse.sessions") == 1);
      // a WebSocket subscriber makes sure the feed stands on every partition before anything is published
      WsClient ws = WsClient.connect(clients, gw);
      ws.send(subscribe(topic, "latest"));
      ws.awaitType("subscribed", "s");
      publish(gw, topic, 0, 200);
      first.awaitRecords(200);
      SseClient.Event mid = first.named("record").get(99);
      first.close();
      ws.close();
      Awaits.until("the gateway saw both go", () -> gw.gauge("tidegate.stream.subscriptions") == 0);
      publish(gw, topic, 200, 300);

      try (SseClient back = SseClient.open(url, mid.id())) {
        back.awaitRecords(200);
        Set<Integer> expected = new HashSet<>(range(200, 300));
        first.records().subList(100, 200).forEach(r -> expected.add(r.getJsonObject("value").getInteger("n")));
        List<Integer> got = values(back.records());
        assertEquals(got.size(), new HashSet<>(got).size(), "no record twice");
        assertEquals(expected, new HashSet<>(got), "every record after the Last-Event-ID, none before it");
        assertEquals(0.0, counter(gw, "kafka"), "no record of the past was read from Kafka");
        assertTrue(counter(gw, "tail") >= 100, "the past came from the tail: " + counter(gw, "tail"));
      }
    }
  }

  private static double counter(TestGateway gw, String source) {
    return gw.counter("tidegate.stream.catchup.records", "source", source);
  }

  private static void publish(TestGateway gw, String topic, int from, int to) {
    JsonArray records = new JsonArray();
    for (int i = from; i < to; i++) {
      records.add(new JsonObject().put("key", "k" + (i % 7)).put("value", new JsonObject().put("n", i)));
    }
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
    assertEquals(200, r.status(), r.body());
  }

  private static JsonObject subscribe(String topic, Object from) {
    return new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic))
        .put("from", from);
  }

  private static JsonObject offsets(String topic, Map<Integer, Long> at) {
    JsonObject p = new JsonObject();
    at.forEach((partition, offset) -> p.put(String.valueOf(partition), offset));
    return new JsonObject().put("offsets", new JsonObject().put(topic, p));
  }

  /** The next offset per partition after these records. */
  private static Map<Integer, Long> positions(List<JsonObject> records) {
    Map<Integer, Long> at = new HashMap<>();
    for (JsonObject r : records) {
      at.merge(r.getInteger("partition"), r.getLong("offset") + 1, Math::max);
    }
    return at;
  }

  private static List<Integer> values(List<JsonObject> records) {
    List<Integer> out = new ArrayList<>();
    records.forEach(r -> out.add(r.getJsonObject("value").getInteger("n")));
    return out;
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(i);
    }
    return out;
  }

  /** No record twice, offsets rising per partition, each partition starting exactly at its asked offset. */
  private static void assertExactlyOnceInOrder(List<JsonObject> records, Map<Integer, Long> from) {
    Map<Integer, Long> last = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (JsonObject r : records) {
      int p = r.getInteger("partition");
      long o = r.getLong("offset");
      assertTrue(seen.add(p + "@" + o), "no record twice: " + r);
      Long prev = last.put(p, o);
      if (prev == null) {
        assertEquals(from.getOrDefault(p, 0L), o, "partition " + p + " starts at its asked offset");
      } else {
        assertEquals(prev + 1, o, "no gap on partition " + p);
      }
    }
  }
}
