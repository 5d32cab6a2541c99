package io.tidegate.stream;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The log loses what the live feed had not read yet (here: records deleted while the feed's fetch of the topic
 * was paused for a congested subscriber; in production: retention): the feed reads on from the log start, and
 * the subscriber is told with a {@code reset} before the records after the gap, never a silent skip.
 */
@GatewayIT
class FeedResetIT {
  private static final Vertx clients = Vertx.vertx();

  @AfterAll
  static void closeClients() {
    Awaits.result(clients.close());
  }

  @Test
  void recordsRemovedBeforeTheFeedReadThemAreAnnouncedAsAResetAndDeliveryGoesOnFromTheLogStart() throws Exception {
    String topic = uniqueTopic("feed-reset");
    createTopic(topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    int budget = 1024 * 1024;
    try (TestGateway gw = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("budgetBytes", budget)));
        WsClient ws = WsClient.connect(clients, gw, 2 * 1024 * 1024, 16 * 1024)) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic))
          .put("from", "latest"));
      ws.awaitType("subscribed", "s");
      ws.socket().pause(); // the topic's only subscriber stops reading: the feed pauses the topic's fetch
      String pad = "p".repeat(200);
      int total = 0;
      for (int i = 0; i < 20; i++) {
        JsonArray records = new JsonArray();
        for (int j = 0; j < 1000; j++) {
          records.add(new JsonObject().put("value", new JsonObject().put("n", total++).put("pad", pad)));
        }
        assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"),
            new JsonObject().put("records", records)).status());
      }
      LiveFeed feed = gw.gateway().feed();
      Awaits.until("the topic's fetch is paused", () -> feed.pausedPartitions() == 1);

      try (Admin admin = KafkaTestClients.admin()) {
        admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(total))).all().get();
      }
      JsonArray after = new JsonArray();
      for (int i = 0; i < 5; i++) {
        after.add(new JsonObject().put("value", new JsonObject().put("n", total + i)));
      }
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"),
          new JsonObject().put("records", after)).status());

      ws.socket().resume();
      JsonObject reset = ws.awaitType("reset", "s");
      Awaits.until("the records after the gap arrive", Duration.ofSeconds(60),
          () -> ws.records().stream().anyMatch(r -> r.getLong("offset") == 20_004L));
      assertNull(ws.closeCode(), "the subscriber was not closed");

      assertEquals(topic, reset.getString("topic"));
      assertEquals(0, reset.getInteger("partition"));
      assertEquals(20_000L, reset.getLong("offset"), "delivery goes on from the log start: " + reset);
      List<JsonObject> frames = ws.frames();
      int at = frames.indexOf(reset);
      long next = 0;
      for (JsonObject f : frames.subList(0, at)) {
        if ("record".equals(f.getString("type"))) {
          assertEquals(next++, f.getLong("offset"), "before the reset: in order, no gap");
        }
      }
      assertEquals(next, reset.getLong("requested"), "the reset starts where delivery stood: " + reset);
      next = 20_000L;
      for (JsonObject f : frames.subList(at + 1, frames.size())) {
        if ("record".equals(f.getString("type"))) {
          assertEquals(next++, f.getLong("offset"), "after the reset: from the log start, in order");
        }
      }
      assertEquals(20_005L, next);
      assertNotNull(gw.gateway().registry().find("tidegate.feed.resets").tag("cause", "retention").counter());
      assertEquals(1.0, gw.gateway().registry().find("tidegate.feed.resets").tag("cause", "retention").counter().count());
    }
  }
}
