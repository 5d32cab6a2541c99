package io.tidegate.transport.sse;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.ProblemAssert;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code GET /events}, read with a real SSE client that reconnects with Last-Event-ID as browsers do. */
@GatewayIT
class SseIT {
  private static final Pattern CURSOR = Pattern.compile("[a-zA-Z0-9._-]+:[0-9,]*(;[a-zA-Z0-9._-]+:[0-9,]*)*");

  @Test
  void aStreamThatDropsResumesThroughLastEventIdOnAnyGatewayWithNoGapAndNoDuplicate() throws Exception {
    String orders = uniqueTopic("sse-orders");
    String payments = uniqueTopic("sse-payments");
    createTopic(orders, 3);
    createTopic(payments, 2);
    int total = 4000;
    try (TestGateway a = TestGateway.start(); TestGateway b = TestGateway.start()) {
      SseClient first = SseClient.open(a.url("/events?topic=" + orders + "&topic=" + payments + "&from=earliest"));
      AtomicReference<Throwable> failed = new AtomicReference<>();
      // the last quarter is published only once the stream has moved to gateway B: however fast the first
      // client catches up after its drop, it cannot have had everything when it moves
      java.util.concurrent.CountDownLatch moved = new java.util.concurrent.CountDownLatch(1);
      Thread publisher = new Thread(() -> {
        try {
          for (int i = 0; i < total; i += 40) {
            if (i == total * 3 / 4 && !moved.await(120, java.util.concurrent.TimeUnit.SECONDS)) {
              throw new AssertionError("the stream did not move to gateway B");
            }
            for (String topic : List.of(orders, payments)) {
              JsonArray records = new JsonArray();
              for (int j = i; j < i + 40; j++) {
                if ((j % 2 == 0) == topic.equals(orders)) {
                  records.add(new JsonObject().put("key", "k" + (j % 13)).put("value", new JsonObject().put("n", j)));
                }
              }
              Http.Response r = Http.postJson(a.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
              if (r.status() != 200) {
                throw new AssertionError("publish answered " + r.status() + ": " + r.body());
              }
            }
            Thread.sleep(5); // a steady flow, still going across both drops
          }
        } catch (Throwable e) {
          failed.set(e);
        }
      }, "publisher");
      publisher.start();

      first.awaitRecords(total / 5);
      first.dropConnection(); // the client reconnects to gateway A with Last-Event-ID
      first.awaitRecords(total / 2);
      assertTrue(first.connections() >= 2, "the first client reconnected");
      first.close();
      List<SseClient.Event> firstEvents = first.named("record");
      String lastId = firstEvents.get(firstEvents.size() - 1).id();

      // a new client on gateway B, as a browser reloading against another node would: the cursor wins over from
      SseClient second = SseClient.open(b.url("/events?topic=" + orders + "&topic=" + payments + "&from=latest"), lastId);
      moved.countDown();
      publisher.join(120_000);
      if (failed.get() != null) {
        throw new AssertionError("publishing failed", failed.get());
      }
      assertTrue(firstEvents.size() < total, "the stream moved to gateway B while records were still published");
      int rest = total - firstEvents.size();
      second.awaitRecords(rest);
      // a negative check: a duplicate at the very end would come right behind the last record
      Awaits.stays("the second client has " + rest + " records, no more", Duration.ofMillis(300),
          () -> second.named("record").size() == rest);
      second.close();

      List<JsonObject> all = new ArrayList<>();
      firstEvents.forEach(e -> all.add(e.json()));
      all.addAll(second.records());
      Set<Integer> seen = new HashSet<>();
      for (JsonObject r : all) {
        assertTrue(seen.add(r.getJsonObject("value").getInteger("n")), "no record twice: " + r);
      }
      assertEquals(total, seen.size(), "every record of both topics, across the drop and both gateways");
      assertEquals(total, all.size());
      Map<String, Long> last = new HashMap<>();
      for (JsonObject r : all) {
        String tp = r.getString("topic") + "/" + r.getInteger("partition");
        long prev = last.getOrDefault(tp, -1L);
        assertEquals(prev + 1, r.getLong("offset"), "offsets follow each other on " + tp);
        last.put(tp, r.getLong("offset"));
      }
      for (SseClient.Event e : second.events()) {
        assertTrue(CURSOR.matcher(e.id()).matches(), "an id is a cursor: " + e.id());
      }
    }
  }

  @Test
  void theHistoryPageAndTheStreamGiveTheSameRecordsAndNoValueCanInjectAnEvent() {
    String topic = uniqueTopic("sse-format");
    createTopic(topic, 2);
    try (TestGateway gw = TestGateway.start()) {
      JsonArray records = new JsonArray()
          .add(new JsonObject().put("key", "a").put("value", new JsonObject().put("user", new JsonObject().put("id", 7))))
          .add(new JsonObject().put("key", "k\nid: 1\n\nevent: evil").put("text", "t\n\nevent: evil\nid: 666\ndata: x\r\n"))
          .add(new JsonObject().put("binary", "AAEC/w==").put("headers", new JsonObject().put("h", "x\r\ndata: y")))
          .add(new JsonObject().put("key", "tomb"))
          .add(new JsonObject().put("key", "b").put("value", new JsonArray().add(1).add("two")));
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      // a JSON value whose own bytes hold line breaks (JSON whitespace), kept byte for byte by the gateway
      Http.Response raw = Http.post(gw.url("/topics/" + topic + "/records"), "application/json",
          "{\"key\":\"c\",\"value\":{\r\n\"a\":\n1}}");
      assertEquals(200, raw.status(), raw.body());

      try (SseClient sse = SseClient.open(gw.url("/events?topic=" + topic + "&from=earliest"))) {
        sse.awaitRecords(6);
        Awaits.until("the subscribed event", () -> !sse.named("subscribed").isEmpty());
        JsonArray page = Http.get(gw.url("/topics/" + topic + "/records?from=earliest&limit=100")).json().getJsonArray("records");
        assertEquals(6, page.size());
        Set<JsonObject> fromHistory = new HashSet<>();
        page.forEach(r -> fromHistory.add((JsonObject) r));
        assertEquals(fromHistory, new HashSet<>(sse.records()), "the same records in the same format");
        for (SseClient.Event e : sse.events()) {
          assertTrue(Set.of("record", "subscribed").contains(e.name()), "no injected event: " + e);
          assertTrue(CURSOR.matcher(e.id()).matches(), "no injected id: " + e.id());
        }
        assertEquals(6, sse.named("record").size());
      }
    }
  }

  @Test
  void filtersOnKeyHeaderAndValueApplyToTheStream() {
    String topic = uniqueTopic("sse-filter");
    createTopic(topic, 3);
    try (TestGateway gw = TestGateway.start()) {
      JsonArray records = new JsonArray();
      for (int i = 0; i < 30; i++) {
        records.add(new JsonObject().put("key", "k" + (i % 2)).put("headers", new JsonObject().put("kind", i % 3 == 0 ? "a" : "b"))
            .put("value", new JsonObject().put("user", new JsonObject().put("id", i % 5)).put("n", i)));
      }
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      try (SseClient byValue = SseClient.open(gw.url("/events?topic=" + topic + "&from=earliest&value.user.id=3"));
           SseClient byAll = SseClient.open(gw.url("/events?topic=" + topic + "&from=earliest&key=k0&header.kind=a"))) {
        byValue.awaitRecords(6);
        byAll.awaitRecords(5);
        Awaits.until("both streams subscribed", () -> !byValue.named("subscribed").isEmpty() && !byAll.named("subscribed").isEmpty());
        // a negative check: a record the filters should have dropped would come with the others
        Awaits.stays("no other record arrives", Duration.ofMillis(300),
            () -> byValue.named("record").size() == 6 && byAll.named("record").size() == 5);
        assertEquals(Set.of(3, 8, 13, 18, 23, 28), numbers(byValue.records()));
        assertEquals(Set.of(0, 6, 12, 18, 24), numbers(byAll.records()));
      }
    }
  }

  @Test
  void aStreamThatFallsItsBudgetBehindIsCutWhileOthersFlowAndResumesWithNothingLost() throws Exception {
    String topic = uniqueTopic("sse-slow");
    createTopic(topic, 2);
    io.vertx.core.Vertx clients = io.vertx.core.Vertx.vertx();
    try (TestGateway gw = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("budgetBytes", 256 * 1024)));
         io.tidegate.testing.WsClient fast = io.tidegate.testing.WsClient.connect(clients, gw);
         java.net.Socket stalled = new java.net.Socket()) {
      fast.send(new JsonObject().put("type", "subscribe").put("id", "f").put("topics", new JsonArray().add(topic)));
      fast.awaitType("subscribed", "f");
      // an SSE client that reads the headers and then nothing: a small receive window, never drained
      stalled.setReceiveBufferSize(4096);
      java.net.URI u = URI.create(gw.url("/events?topic=" + topic));
      stalled.connect(new java.net.InetSocketAddress(u.getHost(), u.getPort()));
      stalled.getOutputStream().write(("GET " + u.getRawPath() + "?" + u.getRawQuery() + " HTTP/1.1\r\nHost: x\r\n"
          + "Accept: text/event-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      Awaits.until("the stream is open", () -> gw.gauge("tidegate.sse.sessions") == 1);
      // read until its subscribed event is in (a few hundred bytes: the window stays all but full), then never again
      stalled.setSoTimeout(30_000);
      java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
      while (!head.toString(java.nio.charset.StandardCharsets.UTF_8).contains("event: subscribed\n")) {
        int b = stalled.getInputStream().read();
        if (b < 0) {
          throw new AssertionError("the stream ended before its subscribed event: " + head);
        }
        head.write(b);
      }
      String big = "y".repeat(4000);
      for (int i = 0; i < 40; i++) {
        JsonArray records = new JsonArray();
        for (int j = 0; j < 50; j++) {
          records.add(new JsonObject().put("value", new JsonObject().put("n", i * 50 + j).put("pad", big)));
        }
        assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
      }
      fast.awaitRecords(2000);
      Awaits.until("the stalled stream is cut", () -> gw.gauge("tidegate.sse.sessions") == 0);
      assertEquals(1.0, gw.gateway().registry().get("tidegate.stream.closed.slow").tag("transport", "sse").counter().count(), 0.0);

      // what reached the client before the cut, then a reconnect with the last id it got
      head.write(stalled.getInputStream().readAllBytes());
      String got = head.toString(java.nio.charset.StandardCharsets.UTF_8);
      List<JsonObject> before = new ArrayList<>();
      String lastId = null;
      for (String event : got.substring(got.indexOf("\r\n\r\n") + 4).split("\n\n")) {
        if (event.contains("event: record\n") && event.contains("\nid: ")) {
          String data = event.substring(event.indexOf("data: ") + 6, event.indexOf("\nid: "));
          before.add(new JsonObject(data.replaceAll("\r?\n?[0-9a-f]+\r\n", ""))); // chunk sizes
          lastId = event.substring(event.indexOf("\nid: ") + 5).split("\r?\n")[0];
        } else if (event.contains("event: subscribed") && lastId == null) {
          lastId = event.substring(event.indexOf("id: ") + 4).split("\r?\n")[0];
        }
      }
      assertTrue(before.size() < 2000, "the stalled client had not got everything: " + before.size());
      try (SseClient again = SseClient.open(gw.url("/events?topic=" + topic), lastId)) {
        again.awaitRecords(2000 - before.size());
        // a negative check: a duplicate at the very end would come right behind the last record
        Awaits.stays("the reconnected client has " + (2000 - before.size()) + " records, no more",
            Duration.ofMillis(300), () -> again.named("record").size() == 2000 - before.size());
        Set<Integer> seen = new HashSet<>();
        before.forEach(r -> assertTrue(seen.add(r.getJsonObject("value").getInteger("n"))));
        again.records().forEach(r -> assertTrue(seen.add(r.getJsonObject("value").getInteger("n")), "no duplicate"));
        assertEquals(2000, seen.size(), "every record, across the cut");
      }
    } finally {
      Awaits.result(clients.close());
    }
  }

  @Test
  void heartbeatCommentsKeepAnIdleStreamAlive() throws Exception {
    String topic = uniqueTopic("sse-idle");
    createTopic(topic, 1);
    try (TestGateway gw = TestGateway.start(new JsonObject().put("sse", new JsonObject().put("heartbeatSeconds", 1)))) {
      try (Http.Streamed r = Http.stream(gw.url("/events?topic=" + topic), "Accept-Encoding", "gzip")) {
        assertEquals(200, r.status());
        assertTrue(String.valueOf(r.header("content-type")).startsWith("text/event-stream"), r.header("content-type"));
        assertEquals("no-cache", r.header("cache-control"));
        assertTrue(r.header("content-encoding") == null || "identity".equals(r.header("content-encoding")),
            "events are not compressed");
        long start = System.nanoTime();
        Awaits.until("two heartbeats", Duration.ofSeconds(10),
            () -> r.lines().stream().filter(l -> l.startsWith(":")).count() >= 2);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "two heartbeats within a few seconds");
      }
    }
  }

  @Test
  void badRequestsAnswerProblemsBeforeAnyStream() {
    String topic = uniqueTopic("sse-bad");
    createTopic(topic, 2);
    try (TestGateway gw = TestGateway.start()) {
      ProblemAssert.assertProblem(Http.get(gw.url("/events")), 400, "topic");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=no.such.topic.here")), 404, "no.such.topic.here");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=bad%20name")), 400, "is not allowed");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=" + topic + "&from=yesterday")), 400, "from");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=" + topic + "&topics=x")), 400, "topics");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=" + topic + "&value.=1")), 400, "dotted path");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=" + topic), "Last-Event-ID", "not a cursor"),
          400, "Last-Event-ID");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=" + topic), "Last-Event-ID", topic + ":1,x"),
          400, "'x' is not an offset");
      ProblemAssert.assertProblem(Http.get(gw.url("/events?topic=" + topic), "Last-Event-ID", topic + ":1,2,3"),
          400, "no partition 2");
    }
  }

  private static Set<Integer> numbers(List<JsonObject> records) {
    Set<Integer> out = new HashSet<>();
    records.forEach(r -> out.add(r.getJsonObject("value").getInteger("n")));
    return out;
  }
}
