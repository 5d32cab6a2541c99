package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A subscribe is all or nothing, claims its topics at once, and leaves nothing behind when it fails or its socket goes. */
@GatewayIT
class WsSubscribeIT {
  static TestGateway gw;
  static Vertx clients;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject()
        // no linger: a topic nobody wants is let go at once, so each test can see that nothing is held after it
        .put("ws", new JsonObject().put("maxCatchUps", 4).put("tailLingerSeconds", 0))
        .put("limits", new JsonObject().put("maxSubscriptionsPerSocket", 3).put("maxTopicsPerSubscribe", 5)));
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Awaits.result(clients.close());
    gw.close();
  }

  private static JsonObject subscribe(String id, Object from, String... topics) {
    return new JsonObject().put("type", "subscribe").put("id", id).put("topics", new JsonArray(List.of((Object[]) topics)))
        .put("from", from);
  }

  private static void publish(String topic, int n) {
    JsonArray records = new JsonArray();
    for (int i = 0; i < n; i++) {
      records.add(new JsonObject().put("value", i));
    }
    assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
  }

  private static void awaitNothingHeld() {
    Awaits.until("the feed wants no topic (" + gw.gauge("tidegate.feed.topics") + ")",
        () -> gw.gauge("tidegate.feed.topics") == 0);
    Awaits.until("no subscription is registered (" + gw.gauge("tidegate.stream.subscriptions") + ")",
        () -> gw.gauge("tidegate.stream.subscriptions") == 0);
    Awaits.until("every catch-up permit is free (" + gw.gauge("tidegate.stream.catchups") + ")",
        () -> gw.gauge("tidegate.stream.catchups") == 0);
  }

  @Test
  void aBurstOfSubscribesForOneTopicGivesOneSubscribedAndConflictsForTheRest() {
    String topic = uniqueTopic("burst");
    createTopic(topic, 3);
    publish(topic, 30);
    awaitNothingHeld();
    int burst = 12;
    try (WsClient c = WsClient.connect(clients, gw)) {
      for (int i = 0; i < burst; i++) {
        c.send(subscribe("b" + i, i % 2 == 0 ? "earliest" : "latest", topic));
      }
      Awaits.until("every subscribe is answered", () -> c.frames().stream()
          .filter(f -> "subscribed".equals(f.getString("type")) || "error".equals(f.getString("type"))).count() == burst);
      List<JsonObject> answers = c.frames().stream()
          .filter(f -> "subscribed".equals(f.getString("type")) || "error".equals(f.getString("type"))).toList();
      assertEquals(1, answers.stream().filter(f -> "subscribed".equals(f.getString("type"))).count(), answers.toString());
      answers.stream().filter(f -> "error".equals(f.getString("type")))
          .forEach(f -> assertEquals(409, f.getInteger("status"), f.encode()));
      c.send(new JsonObject().put("type", "unsubscribe").put("id", "u").put("topics", new JsonArray().add(topic)));
      c.awaitType("unsubscribed", "u");
      awaitNothingHeld();
    }
  }

  @Test
  void aSocketThatClosesDuringASubscribeLeavesNothingBehind() {
    String topic = uniqueTopic("gone");
    createTopic(topic, 3);
    publish(topic, 30);
    for (int i = 0; i < 30; i++) {
      WsClient c = WsClient.connect(clients, gw);
      c.send(subscribe("s", i % 2 == 0 ? "earliest" : "latest", topic));
      c.close();
    }
    awaitNothingHeld();
    // the gateway's catch-up permits are all there: as many earliest subscribes as permits start at once
    try (WsClient c = WsClient.connect(clients, gw)) {
      String[] topics = new String[3];
      for (int i = 0; i < topics.length; i++) {
        topics[i] = uniqueTopic("after");
        createTopic(topics[i], 1);
      }
      c.send(subscribe("all", "earliest", topics));
      c.awaitType("subscribed", "all");
    }
    awaitNothingHeld();
  }

  @Test
  void aSubscribeWithoutAnIdThatFailsPartwayIsUndone() {
    String topic = uniqueTopic("partial");
    createTopic(topic, 1);
    try (WsClient c = WsClient.connect(clients, gw)) {
      c.send(new JsonObject().put("type", "subscribe").put("topics", new JsonArray().add(topic).add(uniqueTopic("missing"))));
      assertEquals(404, c.awaitType("error", null).getInteger("status"));
      c.send(subscribe("again", "latest", topic));
      c.awaitType("subscribed", "again");
      c.send(new JsonObject().put("type", "unsubscribe").put("id", "u").put("topics", new JsonArray().add(topic)));
      c.awaitType("unsubscribed", "u");
      awaitNothingHeld();
    }
  }

  @Test
  void limitsOnSubscriptionsPerSocketAndTopicsPerSubscribeAnswerClearErrors() {
    String[] topics = new String[6];
    for (int i = 0; i < topics.length; i++) {
      topics[i] = uniqueTopic("lim");
      createTopic(topics[i], 1);
    }
    try (WsClient c = WsClient.connect(clients, gw)) {
      c.send(subscribe("six", "latest", topics));
      JsonObject tooMany = c.awaitType("error", "six");
      assertEquals(400, tooMany.getInteger("status"), tooMany.encode());
      c.send(subscribe("three", "latest", topics[0], topics[1], topics[2]));
      c.awaitType("subscribed", "three");
      c.send(subscribe("fourth", "latest", topics[3]));
      JsonObject over = c.awaitType("error", "fourth");
      assertEquals(429, over.getInteger("status"), over.encode());
      assertEquals("https://tidegate.io/problems/too-many-subscriptions", over.getString("problem"), over.encode());
      assertNull(c.closeCode());
    }
    awaitNothingHeld();
  }

  /**
   * Retention removes records a catch-up has not read yet: the jump is announced with a {@code reset} (never
   * skipped silently), and delivery goes on from the log's new start.
   */
  @Test
  void aCatchUpThatRetentionOvertakesAnnouncesTheJumpAndGoesOn() throws Exception {
    String topic = uniqueTopic("retention");
    createTopic(topic, 1);
    String pad = "r".repeat(4000);
    for (int batch = 0; batch < 20; batch++) {
      JsonArray records = new JsonArray();
      for (int i = 0; i < 200; i++) {
        records.add(new JsonObject().put("value", new JsonObject().put("n", batch * 200 + i).put("pad", pad)));
      }
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
    }
    try (WsClient c = WsClient.connect(clients, gw, 2 * 1024 * 1024, 4096)) {
      c.send(subscribe("r", "earliest", topic));
      c.socket().pause();
      Awaits.until("the catch-up started", () -> gw.gauge("tidegate.stream.catchups") == 1);
      try (org.apache.kafka.clients.admin.Admin admin = io.tidegate.testing.KafkaTestClients.admin()) {
        admin.deleteRecords(java.util.Map.of(new org.apache.kafka.common.TopicPartition(topic, 0),
            org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(3000))).all().get();
      }
      c.socket().resume();
      c.awaitType("subscribed", "r");
      JsonObject reset = c.awaitType("reset", "r");
      assertEquals(3000L, reset.getLong("offset"), reset.encode());
      long requested = reset.getLong("requested");
      Awaits.until("the records after the new start arrive",
          () -> c.records().stream().anyMatch(r -> r.getLong("offset") == 3999L));
      List<Long> offsets = c.records().stream().map(r -> r.getLong("offset")).toList();
      List<Long> expected = new java.util.ArrayList<>();
      for (long o = 0; o < requested; o++) {
        expected.add(o);
      }
      for (long o = 3000; o < 4000; o++) {
        expected.add(o);
      }
      assertEquals(expected, offsets, "everything before the announced jump, then everything after it");
      assertNull(c.closeCode());
    }
    awaitNothingHeld();
  }

  @Test
  void negativeTimestampsAreRefused() {
    String topic = uniqueTopic("neg");
    createTopic(topic, 1);
    try (WsClient c = WsClient.connect(clients, gw)) {
      c.send(subscribe("t", new JsonObject().put("timestamp", -1), topic));
      JsonObject e = c.awaitType("error", "t");
      assertEquals(400, e.getInteger("status"), e.encode());
      c.send(subscribe("t2", new JsonObject().put("timestamp", -2), topic));
      assertEquals(400, c.awaitType("error", "t2").getInteger("status"));
    }
    awaitNothingHeld();
  }

  @Test
  void errorFramesCarryTheProblemType() {
    String topic = uniqueTopic("types");
    createTopic(topic, 1);
    try (WsClient c = WsClient.connect(clients, gw)) {
      c.sendText("not json");
      assertEquals("https://tidegate.io/problems/malformed-json", c.awaitType("error", null).getString("problem"));
      c.send(subscribe("a", "latest", topic));
      c.awaitType("subscribed", "a");
      c.send(subscribe("b", "latest", topic));
      JsonObject conflict = c.awaitType("error", "b");
      assertEquals(409, conflict.getInteger("status"));
      assertEquals("https://tidegate.io/problems/conflict", conflict.getString("problem"));
      c.send(subscribe("c", "latest", uniqueTopic("nope")));
      assertEquals("https://tidegate.io/problems/unknown-topic", c.awaitType("error", "c").getString("problem"));
    }
  }
}
