package io.tidegate.transport.ws;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A client's position is a set of Kafka offsets, so it can resume on any gateway in front of the same
 * cluster: two gateway instances, publishing never stops, the socket drops on one and resumes on the other.
 */
@GatewayIT
class ResumeIT {
  private static final int TOTAL = 6000;

  @Test
  void aClientDroppedOnOneGatewayResumesOnAnotherWithNoGapAndNoDuplicate() throws Exception {
    String topic = uniqueTopic("resume");
    createTopic(topic, 3);
    Vertx clients = Vertx.vertx();
    try (TestGateway a = TestGateway.start(); TestGateway b = TestGateway.start()) {
      WsClient first = WsClient.connect(clients, a);
      first.send(subscribe(topic, "earliest"));
      first.awaitType("subscribed", "s");

      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread publisher = new Thread(() -> {
        try {
          for (int i = 0; i < TOTAL; i += 50) {
            JsonArray records = new JsonArray();
            for (int j = i; j < i + 50; j++) {
              records.add(new JsonObject().put("key", "k" + (j % 11)).put("value", new JsonObject().put("n", j)));
            }
            Http.Response r = Http.postJson(a.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
            if (r.status() != 200) {
              throw new AssertionError("publish answered " + r.status() + ": " + r.body());
            }
            Thread.sleep(5); // a steady flow, still going when the socket drops and when it resumes
          }
        } catch (Throwable e) {
          failed.set(e);
        }
      }, "publisher");
      publisher.start();

      first.awaitRecords(TOTAL / 4);
      first.close(); // the connection drops mid-stream
      List<JsonObject> before = first.records();
      Map<Integer, Long> resumeAt = new HashMap<>();
      for (JsonObject r : before) {
        resumeAt.merge(r.getInteger("partition"), r.getLong("offset") + 1, Math::max);
      }
      JsonObject offsets = new JsonObject();
      resumeAt.forEach((p, o) -> offsets.put(String.valueOf(p), o));

      WsClient second = WsClient.connect(clients, b);
      second.send(subscribe(topic, new JsonObject().put("offsets", new JsonObject().put(topic, offsets))));
      second.awaitType("subscribed", "s");
      publisher.join(120_000);
      if (failed.get() != null) {
        throw new AssertionError("publishing failed", failed.get());
      }
      assertTrue(before.size() < TOTAL, "the socket dropped while records were still being published");
      second.awaitRecords(TOTAL - before.size());

      List<JsonObject> all = new ArrayList<>(before);
      all.addAll(second.records());
      Set<Integer> seen = new HashSet<>();
      for (JsonObject r : all) {
        assertTrue(seen.add(r.getJsonObject("value").getInteger("n")), "no record twice: " + r);
      }
      assertEquals(TOTAL, seen.size(), "every record of the topic, across both gateways");
      assertInOrder(before);
      assertInOrder(second.records());
      // the second socket starts exactly where the first one stopped, partition by partition
      Map<Integer, Long> firstAfter = new HashMap<>();
      for (JsonObject r : second.records()) {
        firstAfter.putIfAbsent(r.getInteger("partition"), r.getLong("offset"));
      }
      firstAfter.forEach((p, o) -> assertEquals(resumeAt.getOrDefault(p, 0L), o, "partition " + p + " resumes at its offset"));
      second.close();
    } finally {
      Awaits.result(clients.close());
    }
  }

  private static JsonObject subscribe(String topic, Object from) {
    return new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic)).put("from", from);
  }

  private static void assertInOrder(List<JsonObject> records) {
    Map<Integer, Long> last = new HashMap<>();
    for (JsonObject r : records) {
      long prev = last.getOrDefault(r.getInteger("partition"), -1L);
      assertTrue(r.getLong("offset") > prev, "offsets rise per partition");
      last.put(r.getInteger("partition"), r.getLong("offset"));
    }
  }
}
