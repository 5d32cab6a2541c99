package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Filters on a field of a JSON value, over WebSocket and SSE; the gateway evaluates each distinct filter once
 * per record, however many subscriptions (and transports, and event loops) share it.
 */
@GatewayIT
class ValueFilterIT {
  @Test
  void aValueFilterIsEvaluatedOncePerRecordForEverySubscriptionSharingIt() {
    String topic = uniqueTopic("value-filter");
    createTopic(topic, 3);
    Vertx clients = Vertx.vertx();
    List<WsClient> sevens = new ArrayList<>();
    List<WsClient> eights = new ArrayList<>();
    try (TestGateway gw = TestGateway.start()) {
      for (int i = 0; i < 20; i++) {
        sevens.add(subscribe(clients, gw, topic, new JsonObject().put("user.id", 7)));
      }
      for (int i = 0; i < 6; i++) {
        // the same conditions written differently: one filter
        eights.add(subscribe(clients, gw, topic, new JsonObject().put("user.id", 8.0).put("kind", "order")));
        eights.add(subscribe(clients, gw, topic, new JsonObject().put("kind", "order").put("user.id", 8)));
      }
      try (SseClient sse = SseClient.open(gw.url("/events?topic=" + topic + "&value.user.id=7"))) {
        Awaits.until("the stream is subscribed", () -> !sse.named("subscribed").isEmpty());
        double before = evaluations(gw);

        JsonArray records = new JsonArray();
        for (int n = 0; n < 90; n++) {
          JsonObject value = new JsonObject().put("n", n).put("kind", n % 2 == 0 ? "order" : "refund")
              .put("user", new JsonObject().put("id", 6 + n % 3));
          records.add(new JsonObject().put("key", "k" + n).put("value", value));
        }
        records.add(new JsonObject().put("text", "user.id 7, not JSON")); // never matches a value filter
        records.add(new JsonObject().put("value", new JsonObject().put("user", "7"))); // no such path
        assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());

        Set<Integer> expectSeven = new HashSet<>();
        Set<Integer> expectEight = new HashSet<>();
        for (int n = 0; n < 90; n++) {
          if (6 + n % 3 == 7) {
            expectSeven.add(n);
          }
          if (6 + n % 3 == 8 && n % 2 == 0) {
            expectEight.add(n);
          }
        }
        for (WsClient c : sevens) {
          c.awaitRecords(expectSeven.size());
        }
        for (WsClient c : eights) {
          c.awaitRecords(expectEight.size());
        }
        sse.awaitRecords(expectSeven.size());
        Awaits.until("every record evaluated", () -> evaluations(gw) - before >= 2 * 92);
        // a negative check: a record a filter should have dropped would come with the others
        Awaits.stays("no other record arrives", java.time.Duration.ofMillis(300),
            () -> sevens.stream().allMatch(c -> c.recordCount() == expectSeven.size())
                && eights.stream().allMatch(c -> c.recordCount() == expectEight.size())
                && sse.records().size() == expectSeven.size());
        sevens.forEach(c -> assertEquals(expectSeven, numbers(c.records())));
        eights.forEach(c -> assertEquals(expectEight, numbers(c.records())));
        assertEquals(expectSeven, numbers(sse.records()));
        // 33 subscriptions over two transports and two event loops, two distinct filters: 2 evaluations a record
        assertEquals(2 * 92, evaluations(gw) - before, 0.0);
      }
    } finally {
      sevens.forEach(WsClient::close);
      eights.forEach(WsClient::close);
      Awaits.result(clients.close());
    }
  }

  @Test
  void aBadValueFilterIsRefusedWithAnErrorFrame() {
    String topic = uniqueTopic("value-filter-bad");
    createTopic(topic, 1);
    Vertx clients = Vertx.vertx();
    try (TestGateway gw = TestGateway.start(); WsClient c = WsClient.connect(clients, gw)) {
      c.send(new JsonObject().put("type", "subscribe").put("id", "a").put("topics", new JsonArray().add(topic))
          .put("filter", new JsonObject().put("value", "user.id=7")));
      assertEquals(400, c.awaitType("error", "a").getInteger("status"));
      c.send(new JsonObject().put("type", "subscribe").put("id", "b").put("topics", new JsonArray().add(topic))
          .put("filter", new JsonObject().put("value", new JsonObject().put("user..id", 7))));
      assertEquals(400, c.awaitType("error", "b").getInteger("status"));
      c.send(new JsonObject().put("type", "subscribe").put("id", "c").put("topics", new JsonArray().add(topic))
          .put("filter", new JsonObject().put("value", new JsonObject().put("user.id", 7))));
      c.awaitType("subscribed", "c");
    } finally {
      Awaits.result(clients.close());
    }
  }

  private static WsClient subscribe(Vertx clients, TestGateway gw, String topic, JsonObject valueFilter) {
    WsClient c = WsClient.connect(clients, gw);
    c.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic))
        .put("from", "latest").put("filter", new JsonObject().put("value", valueFilter)));
    c.awaitType("subscribed", "s");
    return c;
  }

  private static double evaluations(TestGateway gw) {
    var c = gw.gateway().registry().find("tidegate.filter.evaluations").counter();
    return c == null ? 0 : c.count();
  }

  private static Set<Integer> numbers(List<JsonObject> records) {
    Set<Integer> out = new HashSet<>();
    records.forEach(r -> out.add(r.getJsonObject("value").getInteger("n")));
    return out;
  }
}
