package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@GatewayIT
class StatsIT {
  static TestGateway gw;
  static Vertx clients;

  @BeforeAll
  static void start() {
    gw = TestGateway.start();
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Awaits.result(clients.close());
    gw.close();
  }

  private static JsonObject stats() {
    Http.Response r = Http.get(gw.url("/stats"));
    assertEquals(200, r.status(), r.body());
    assertTrue(r.contentType().startsWith("application/json"), r.contentType());
    return r.json();
  }

  @Test
  void statsCountPublishedAndLiveFeedRecordsPerTopicAndConnectedClients() {
    String topic = uniqueTopic("stats");
    createTopic(topic, 2);
    int before = stats().getInteger("clients");
    try (WsClient ws = WsClient.connect(clients, gw)) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic)));
      ws.awaitType("subscribed", "s");
      assertEquals(before + 1, stats().getInteger("clients"), "the open socket is counted");
      JsonArray records = new JsonArray();
      for (int i = 0; i < 25; i++) {
        records.add(new JsonObject().put("value", i));
      }
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      ws.awaitRecords(25);
      Awaits.until("the live feed's read counter reaches 25", () -> {
        JsonObject t = stats().getJsonObject("topics").getJsonObject(topic);
        return t != null && t.getLong("out") == 25;
      });
      JsonObject t = stats().getJsonObject("topics").getJsonObject(topic);
      assertEquals(25L, t.getLong("in"), "every acknowledged record is counted in");
      assertTrue(stats().getLong("time") > 0);
    }
    Awaits.until("the closed socket is no longer counted", () -> stats().getInteger("clients") == before);
    assertTrue(Http.get(gw.url("/metrics")).body().contains("tidegate_topic_records_published_total{topic=\"" + topic + "\"} 25.0"),
        "the same counters are in the Prometheus scrape");
  }
}
