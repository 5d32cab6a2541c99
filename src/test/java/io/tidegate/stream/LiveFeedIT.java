package io.tidegate.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.embedded.EmbeddedKafka;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.BlockedThreadGuard;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With a broker of its own (so it can stop it): while the live feed cannot read, readiness says so in a check
 * of its own; once Kafka is back the feed reads on from where it stood, and a subscriber gets every record,
 * in order, with no gap and no repeat.
 */
@ExtendWith(BlockedThreadGuard.class)
class LiveFeedIT {
  private static final String TOPIC = "feed-outage";
  private static final int PARTITIONS = 2;

  @Test
  void readinessTurnsFalseWhileTheFeedCannotReadAndASubscriberMissesNothingAfterItRecovers() throws Exception {
    EmbeddedKafka kafka = new EmbeddedKafka(0, Path.of("target", "feed-outage-kafka-" + System.nanoTime())).start();
    Vertx clients = Vertx.vertx();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
    }
    JsonObject overrides = new JsonObject().put("kafka", new JsonObject().put("requestTimeoutMs", 1000));
    try (TestGateway gw = TestGateway.start(kafka.bootstrapServers(), overrides);
        WsClient ws = WsClient.connect(clients, gw)) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(TOPIC))
          .put("from", "latest"));
      ws.awaitType("subscribed", "s");
      publish(gw, 0, 10);
      ws.awaitRecords(10);
      Awaits.until("the gateway is ready, its feed included", () -> feedCheck(gw).equals("UP"));

      kafka.stop();
      Awaits.until("the feed's readiness check turns DOWN", Duration.ofSeconds(40), () -> feedCheck(gw).equals("DOWN"));
      assertEquals(503, Http.get(gw.url("/health/ready")).status());

      kafka.start();
      Awaits.until("readiness turns true again", Duration.ofSeconds(60),
          () -> Http.get(gw.url("/health/ready")).status() == 200);
      assertEquals("UP", feedCheck(gw));
      publish(gw, 10, 20);
      ws.awaitRecords(20);

      Map<Integer, List<Long>> offsets = new TreeMap<>();
      for (JsonObject r : ws.records()) {
        offsets.computeIfAbsent(r.getInteger("partition"), p -> new ArrayList<>()).add(r.getLong("offset"));
      }
      int total = 0;
      for (Map.Entry<Integer, List<Long>> e : offsets.entrySet()) {
        List<Long> got = e.getValue();
        for (int i = 1; i < got.size(); i++) {
          assertEquals(got.get(i - 1) + 1, got.get(i), "partition " + e.getKey() + " in order, no gap, no repeat: " + got);
        }
        total += got.size();
      }
      assertEquals(20, total, "every record published, once: " + offsets);
    } finally {
      Awaits.result(clients.close());
      kafka.stop();
    }
  }

  /** Publishes records "from" .. "to" - 1, spread over both partitions, and checks Kafka acknowledged them. */
  private static void publish(TestGateway gw, int from, int to) {
    JsonArray records = new JsonArray();
    for (int i = from; i < to; i++) {
      records.add(new JsonObject().put("value", i).put("partition", i % PARTITIONS));
    }
    Http.Response r = Http.postJson(gw.url("/topics/" + TOPIC + "/records"), new JsonObject().put("records", records));
    assertEquals(200, r.status(), r.body());
  }

  /** The status of readiness' "feed" check, or "absent". */
  private static String feedCheck(TestGateway gw) {
    JsonObject body = Http.get(gw.url("/health/ready")).json();
    JsonArray checks = body.getJsonArray("checks", new JsonArray());
    for (int i = 0; i < checks.size(); i++) {
      JsonObject c = checks.getJsonObject(i);
      if ("feed".equals(c.getString("id"))) {
        return c.getString("status");
      }
    }
    return "absent";
  }
}
