package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.stream.LiveFeed;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@GatewayIT
class WebSocketIT {
  static TestGateway gw;
  static Vertx clients;

  @BeforeAll
  static void start() {
    // a topic nobody wants any more is still read for ws.tailLingerSeconds (30 s by default): 1 s here
    gw = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("tailLingerSeconds", 1)));
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Awaits.result(clients.close());
    gw.close();
  }

  private static void publishBatch(String topic, int from, int to) {
    JsonArray records = new JsonArray();
    for (int i = from; i < to; i++) {
      records.add(new JsonObject().put("key", "k" + (i % 7)).put("value", new JsonObject().put("n", i)));
    }
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
    assertEquals(200, r.status(), r.body());
  }

  private static JsonObject subscribe(String id, String topic, Object from) {
    return new JsonObject().put("type", "subscribe").put("id", id).put("topics", new JsonArray().add(topic)).put("from", from);
  }

  /** Every record exactly once, in offset order per partition. */
  private static void assertExactlyOnceInOrder(List<JsonObject> records, int expected) {
    Map<Integer, Long> last = new HashMap<>();
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (JsonObject r : records) {
      long prev = last.getOrDefault(r.getInteger("partition"), -1L);
      assertTrue(r.getLong("offset") > prev, "offsets rise per partition: " + r.getLong("offset") + " after " + prev);
      last.put(r.getInteger("partition"), r.getLong("offset"));
      assertTrue(seen.add(r.getJsonObject("value").getInteger("n")), "no duplicate: " + r);
    }
    assertEquals(expected, records.size(), "no record missing");
  }

  @Test
  void subscribeLatestThenPublishOverTheSocketDeliversTheRecordWithItsAckOffsets() {
    String topic = uniqueTopic("ws-basic");
    createTopic(topic, 3);
    try (WsClient a = WsClient.connect(clients, gw); WsClient b = WsClient.connect(clients, gw)) {
      a.send(subscribe("s1", topic, "latest"));
      assertEquals(new JsonArray().add(topic), a.awaitType("subscribed", "s1").getJsonArray("topics"));
      b.send(new JsonObject().put("type", "publish").put("id", "p1").put("topic", topic).put("key", "u1")
          .put("value", new JsonObject().put("id", 7)).put("headers", new JsonObject().put("event-type", "user.created")));
      JsonObject ack = b.awaitType("ack", "p1");
      JsonObject rec = a.awaitType("record", null);
      assertEquals(ack.getInteger("partition"), rec.getInteger("partition"));
      assertEquals(ack.getLong("offset"), rec.getLong("offset"));
      assertEquals(topic, rec.getString("topic"));
      assertEquals("u1", rec.getString("key"));
      assertEquals("user.created", rec.getJsonObject("headers").getString("event-type"));
      assertEquals(7, rec.getJsonObject("value").getInteger("id"));
      assertNotNull(rec.getLong("timestamp"));
      a.send(new JsonObject().put("type", "ping").put("id", "x"));
      a.awaitType("pong", "x");
      a.send(new JsonObject().put("type", "unsubscribe").put("id", "u1").put("topics", new JsonArray().add(topic)));
      a.awaitType("unsubscribed", "u1");
    }
  }

  @Test
  void hundredSocketsEachGetEveryRecordInOrderFromOneKafkaConsumer() {
    String topic = uniqueTopic("ws-fanout");
    createTopic(topic, 6);
    List<WsClient> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        WsClient c = WsClient.connect(clients, gw);
        c.send(subscribe("s", topic, "latest"));
        sockets.add(c);
      }
      sockets.forEach(c -> c.awaitType("subscribed", "s"));
      assertEquals(1, gw.gateway().feed().consumers(), "one Kafka consumer serves every socket");
      for (int i = 0; i < 10_000; i += 500) {
        publishBatch(topic, i, i + 500);
      }
      for (WsClient c : sockets) {
        c.awaitRecords(10_000);
        assertExactlyOnceInOrder(c.records(), 10_000);
      }
      assertEquals(1, gw.gateway().feed().consumers());
    } finally {
      sockets.forEach(WsClient::close);
    }
    Awaits.until("the feed lets go of the topic once nobody wants it",
        () -> gw.gateway().feed().consumers() == 0);
  }

  @Test
  void aSubscriptionFromTheBeginningCatchesUpAndJoinsTheLiveFeedWithNoGapOrDuplicate() throws Exception {
    String topic = uniqueTopic("ws-seam");
    createTopic(topic, 3);
    publishBatch(topic, 0, 2_000);
    AtomicInteger published = new AtomicInteger(2_000);
    AtomicBoolean run = new AtomicBoolean(true);
    // a live subscriber keeps the feed running ahead while the other one catches up
    try (WsClient live = WsClient.connect(clients, gw); WsClient past = WsClient.connect(clients, gw)) {
      live.send(subscribe("l", topic, "latest"));
      live.awaitType("subscribed", "l");
      Thread publisher = new Thread(() -> {
        while (run.get() && published.get() < 6_000) {
          int from = published.get();
          publishBatch(topic, from, from + 100);
          published.addAndGet(100);
        }
      });
      publisher.start();
      live.awaitRecords(500); // the feed is running ahead with new records
      past.send(subscribe("e", topic, "earliest"));
      past.awaitType("subscribed", "e");
      publisher.join();
      past.awaitRecords(published.get());
      // a negative check: a duplicate at the very end would come right behind the last record
      Awaits.stays("the client has " + published.get() + " records, no more", Duration.ofMillis(300),
          () -> past.recordCount() == published.get());
      assertExactlyOnceInOrder(past.records(), published.get());
    } finally {
      run.set(false);
    }
  }

  @Test
  void everyStartingPointDeliversExactlyItsRange() {
    String topic = uniqueTopic("ws-from");
    createTopic(topic, 1);
    publishBatch(topic, 0, 50);
    JsonArray page = Http.get(gw.url("/topics/" + topic + "/records?from=earliest&limit=1000")).json().getJsonArray("records");
    long ts20 = page.getJsonObject(20).getLong("timestamp");
    try (WsClient offsets = WsClient.connect(clients, gw); WsClient time = WsClient.connect(clients, gw);
         WsClient latest = WsClient.connect(clients, gw)) {
      offsets.send(subscribe("o", topic, new JsonObject().put("offsets", new JsonObject().put(topic, new JsonObject().put("0", 42)))));
      time.send(subscribe("t", topic, new JsonObject().put("timestamp", ts20)));
      latest.send(subscribe("l", topic, "latest"));
      latest.awaitType("subscribed", "l");
      offsets.awaitRecords(8);
      assertEquals(42L, offsets.records().get(0).getLong("offset"));
      time.awaitRecords(1);
      assertTrue(time.records().get(0).getLong("timestamp") >= ts20);
      assertTrue(time.records().get(0).getLong("offset") <= 20);
      publishBatch(topic, 50, 51);
      latest.awaitRecords(1);
      assertEquals(50L, latest.records().get(0).getLong("offset"), "latest starts after what was there");
      offsets.awaitRecords(9);
      assertEquals(9, offsets.records().size());
    }
  }

  @Test
  void filtersPassOnlyMatchingRecords() {
    String topic = uniqueTopic("ws-filter");
    createTopic(topic, 2);
    try (WsClient byKey = WsClient.connect(clients, gw); WsClient byHeader = WsClient.connect(clients, gw)) {
      byKey.send(subscribe("k", topic, "latest").put("filter", new JsonObject().put("key", "u1")));
      byHeader.send(subscribe("h", topic, "latest").put("filter", new JsonObject()
          .put("headers", new JsonObject().put("event-type", "user.created"))));
      byKey.awaitType("subscribed", "k");
      byHeader.awaitType("subscribed", "h");
      JsonArray records = new JsonArray()
          .add(new JsonObject().put("key", "u1").put("value", 1).put("headers", new JsonObject().put("event-type", "user.deleted")))
          .add(new JsonObject().put("key", "u2").put("value", 2).put("headers", new JsonObject().put("event-type", "user.created")))
          .add(new JsonObject().put("key", "u1").put("value", 3).put("headers", new JsonObject().put("event-type", "user.created")))
          .add(new JsonObject().put("key", "u3").put("value", 4));
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      byKey.awaitRecords(2);
      byHeader.awaitRecords(2);
      Awaits.until("no more arrive", Duration.ofMillis(500), () -> false == false);
      assertEquals(List.of(1, 3), byKey.records().stream().map(r -> r.getInteger("value")).sorted().toList());
      assertEquals(List.of(2, 3), byHeader.records().stream().map(r -> r.getInteger("value")).sorted().toList());
    }
  }

  @Test
  void badFramesGetErrorFramesAndTheSocketStaysOpen() {
    String topic = uniqueTopic("ws-bad");
    createTopic(topic, 1);
    try (WsClient c = WsClient.connect(clients, gw)) {
      c.sendText("not json");
      assertEquals(400, c.awaitType("error", null).getInteger("status"));
      c.send(new JsonObject().put("type", "dance").put("id", "1"));
      assertEquals(400, c.awaitType("error", "1").getInteger("status"));
      c.send(new JsonObject().put("type", "subscribe").put("id", "2"));
      assertEquals(400, c.awaitType("error", "2").getInteger("status"));
      c.send(new JsonObject().put("type", "subscribe").put("id", "3").put("topics", "orders"));
      assertEquals(400, c.awaitType("error", "3").getInteger("status"));
      c.send(subscribe("4", uniqueTopic("nope"), "latest"));
      assertEquals(404, c.awaitType("error", "4").getInteger("status"));
      c.send(subscribe("5", "bad name!", "latest"));
      assertEquals(400, c.awaitType("error", "5").getInteger("status"));
      c.send(subscribe("6", topic, "latest"));
      c.awaitType("subscribed", "6");
      c.send(subscribe("7", topic, "latest"));
      assertEquals(409, c.awaitType("error", "7").getInteger("status"));
      c.send(new JsonObject().put("type", "publish").put("id", "8").put("topic", topic).put("value", 1).put("text", "x"));
      assertEquals(422, c.awaitType("error", "8").getInteger("status"));
      c.send(new JsonObject().put("type", "publish").put("id", "9").put("topic", uniqueTopic("nope")).put("value", 1));
      assertEquals(404, c.awaitType("error", "9").getInteger("status"));
      String other = uniqueTopic("ws-bad2");
      createTopic(other, 1);
      c.send(subscribe("10", other, "yesterday"));
      assertEquals(400, c.awaitType("error", "10").getInteger("status"));
      c.send(new JsonObject().put("type", "ping").put("id", "still-open"));
      c.awaitType("pong", "still-open");
      assertEquals(null, c.closeCode(), "bad frames never close the socket");
    }
  }

  @Test
  void compressionIsOnlyNegotiatedWhenConfiguredSoEachFrameIsEncodedOnceForAllSockets() {
    io.vertx.core.http.WebSocketClient asking = clients.createWebSocketClient(
        new io.vertx.core.http.WebSocketClientOptions().setTryUsePerMessageCompression(true));
    try (TestGateway deflating = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("perMessageDeflate", true)))) {
      for (TestGateway g : List.of(gw, deflating)) {
        io.vertx.core.http.WebSocket ws = Awaits.result(asking.connect(new io.vertx.core.http.WebSocketConnectOptions()
            .setHost("127.0.0.1").setPort(Integer.parseInt(g.url("").replaceAll(".*:(\\d+)$", "$1"))).setURI("/ws")));
        String extensions = ws.headers().get("sec-websocket-extensions");
        if (g == gw) {
          assertNull(extensions, "by default a browser's permessage-deflate offer is declined");
        } else {
          assertNotNull(extensions);
          assertTrue(extensions.contains("permessage-deflate"), extensions);
        }
        ws.close();
      }
    } finally {
      asking.close();
    }
  }

  @Test
  void aFrameOverTheLimitClosesWith1009() {
    try (WsClient c = WsClient.connect(clients, gw, 4 * 1024 * 1024)) {
      c.sendText("{\"type\":\"ping\",\"id\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}");
      Awaits.until("the socket is closed", () -> c.closeCode() != null);
      assertEquals((short) 1009, c.closeCode());
    }
  }

  @Test
  void aSocketThatStopsReadingIsClosedWith1013AndItsResumeOffsetsWhileOthersGetEverything() {
    String topic = uniqueTopic("ws-slow");
    createTopic(topic, 2);
    try (TestGateway small = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("budgetBytes", 256 * 1024)
            .put("stallSeconds", 2)));
         WsClient slow = WsClient.connect(clients, small); WsClient fast = WsClient.connect(clients, small)) {
      slow.send(subscribe("s", topic, "latest"));
      fast.send(subscribe("f", topic, "latest"));
      slow.awaitType("subscribed", "s");
      fast.awaitType("subscribed", "f");
      slow.socket().pause(); // stops reading: the gateway's queue for it grows
      String big = "y".repeat(4000);
      for (int i = 0; i < 40; i++) {
        JsonArray records = new JsonArray();
        for (int j = 0; j < 50; j++) {
          records.add(new JsonObject().put("value", new JsonObject().put("n", i * 50 + j).put("pad", big)));
        }
        assertEquals(200, Http.postJson(small.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      }
      fast.awaitRecords(2000);
      assertExactlyOnceInOrder(fast.records(), 2000);
      // a socket that takes nothing for ws.stallSeconds while a budget behind is closed; only then does it read
      Awaits.until("the gateway closes the stalled socket",
          () -> small.gateway().registry().get("tidegate.stream.closed.slow").tag("transport", "ws").counter().count() == 1.0);
      slow.socket().resume();
      Awaits.until("the slow socket is closed", () -> slow.closeCode() != null);
      assertEquals((short) 1013, slow.closeCode());
      JsonObject last = slow.await(f -> "error".equals(f.getString("type")) && f.containsKey("resume"));
      assertEquals(503, last.getInteger("status"), "an HTTP status in the frame; the close code says 1013");
      assertEquals("https://tidegate.io/problems/too-slow", last.getString("problem"));
      JsonObject resume = last.getJsonObject("resume").getJsonObject(topic);
      assertNotNull(resume, "the last frame gives the offsets to resume from");
      long deliveredBefore = slow.records().size();
      long resumeTotal = resume.getLong("0", 0L) + resume.getLong("1", 0L);
      assertEquals(deliveredBefore, resumeTotal, "resume offsets follow exactly what was delivered");
      assertEquals(0.0, small.gateway().registry().get("tidegate.feed.pauses").counter().count(),
          "one subscriber still read: the fetch was never paused for the slow one");
    }
  }

  /**
   * A socket that stops reading for a moment while a burst far larger than its budget flows (and another
   * subscriber keeps the feed going) falls behind the live feed instead of being cut: once it reads again it
   * catches up from Kafka and gets every record, in order, exactly once.
   */
  @Test
  void aSocketThatIsSlowForAMomentFallsBehindAndCatchesUpInsteadOfBeingCut() {
    String topic = uniqueTopic("ws-moment");
    createTopic(topic, 2);
    try (TestGateway small = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("budgetBytes", 256 * 1024)
            .put("stallSeconds", 120)));
         WsClient moment = WsClient.connect(clients, small); WsClient fast = WsClient.connect(clients, small)) {
      moment.send(subscribe("m", topic, "latest"));
      fast.send(subscribe("f", topic, "latest"));
      moment.awaitType("subscribed", "m");
      fast.awaitType("subscribed", "f");
      moment.socket().pause();
      String big = "y".repeat(4000);
      for (int i = 0; i < 40; i++) {
        JsonArray records = new JsonArray();
        for (int j = 0; j < 50; j++) {
          records.add(new JsonObject().put("value", new JsonObject().put("n", i * 50 + j).put("pad", big)));
        }
        assertEquals(200, Http.postJson(small.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      }
      fast.awaitRecords(2000);
      Awaits.until("the paused socket's budget is used up", () -> small.gauge("tidegate.stream.behind") > 0
          || small.gateway().registry().get("tidegate.stream.closed.slow").tag("transport", "ws").counter().count() > 0);
      moment.socket().resume();
      moment.awaitRecords(2000);
      assertNull(moment.closeCode(), "a socket that reads again is not cut");
      assertExactlyOnceInOrder(moment.records(), 2000);
      assertEquals(0.0, small.gateway().registry().get("tidegate.stream.closed.slow").tag("transport", "ws").counter().count());
    }
  }

  @Test
  void whenEverySubscriberOfATopicIsCongestedItsFetchPausesAndNothingIsLost() {
    String topic = uniqueTopic("ws-pause");
    String other = uniqueTopic("ws-unpaused");
    createTopic(topic, 2);
    createTopic(other, 1);
    int budget = 2 * 1024 * 1024;
    try (TestGateway small = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("budgetBytes", budget)));
         WsClient stalled = WsClient.connect(clients, small); WsClient elsewhere = WsClient.connect(clients, small)) {
      stalled.send(subscribe("s", topic, "latest"));
      elsewhere.send(subscribe("o", other, "latest"));
      stalled.awaitType("subscribed", "s");
      elsewhere.awaitType("subscribed", "o");
      stalled.socket().pause(); // its only subscriber stops reading
      String pad = "p".repeat(100);
      int total = 0;
      // about 16 MB of frames: far more than the budget plus what the kernel's socket buffers hold
      for (int i = 0; i < 80; i++) {
        JsonArray records = new JsonArray();
        for (int j = 0; j < 1000; j++) {
          records.add(new JsonObject().put("value", new JsonObject().put("n", total++).put("pad", pad)));
        }
        assertEquals(200, Http.postJson(small.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      }
      LiveFeed feed = small.gateway().feed();
      try {
        Awaits.until("the topic's two partitions are paused", () -> feed.pausedPartitions() == 2);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + " (paused " + feed.pausedPartitions() + ", closed " + stalled.closeCode()
            + ", received " + stalled.records().size() + ")", e);
      }
      // the other topic is still fetched
      assertEquals(200, Http.postJson(small.url("/topics/" + other + "/records"),
          new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", 1)))).status());
      elsewhere.awaitRecords(1);
      assertNull(stalled.closeCode(), "a paused fetch keeps the congested socket within its budget: not closed");

      stalled.socket().resume();
      stalled.awaitRecords(total);
      assertExactlyOnceInOrder(stalled.records(), total);
      Awaits.until("the fetch resumed", () -> feed.pausedPartitions() == 0);
      assertNull(stalled.closeCode());
    }
  }

  @Test
  void stoppingTheGatewaySendsDrainingWithTheOffsetsThenCloses1012() {
    String topic = uniqueTopic("ws-drain");
    createTopic(topic, 2);
    TestGateway own = TestGateway.start();
    WsClient c = WsClient.connect(clients, own);
    c.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic)));
    c.awaitType("subscribed", "s");
    for (int i = 0; i < 3; i++) {
      assertEquals(200, Http.postJson(own.url("/topics/" + topic + "/records"),
          new JsonObject().put("partition", 1).put("value", i)).status());
    }
    c.awaitRecords(3);
    own.close();
    Awaits.until("the socket is closed", () -> c.closeCode() != null);
    assertEquals((short) 1012, c.closeCode(), "service restart: reconnect (elsewhere) at once");
    List<JsonObject> frames = c.frames();
    JsonObject last = frames.get(frames.size() - 1);
    assertEquals("draining", last.getString("type"), "the last frame before the close: " + frames);
    assertEquals(new JsonObject().put(topic, new JsonObject().put("0", 0L).put("1", 3L)), last.getJsonObject("offsets"),
        "the next offset of every partition, as a subscribe takes it back in from.offsets");
  }
}
