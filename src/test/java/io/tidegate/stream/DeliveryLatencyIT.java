package io.tidegate.stream;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The live path's latency histograms: records delivered over WebSocket and SSE are measured from their Kafka
 * timestamp at each stage (poll, event loop, socket write completed), by transport, and exported to Prometheus
 * under the names dashboards use; a record stamped an hour ago shows as an hour, not as the time it took here.
 */
@GatewayIT
class DeliveryLatencyIT {
  @Test
  void liveDeliveryIsMeasuredFromTheRecordTimestampAtEveryStageForBothTransports() throws Exception {
    String topic = uniqueTopic("latency");
    createTopic(topic, 3);
    Vertx clients = Vertx.vertx();
    try (TestGateway gw = TestGateway.start();
        WsClient ws = WsClient.connect(clients, gw);
        SseClient sse = SseClient.open(gw.url("/events?topic=" + topic + "&from=latest"))) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray(List.of(topic)))
          .put("from", "latest"));
      ws.awaitType("subscribed", "s");
      Awaits.until("the SSE stream is subscribed", () -> !sse.named("subscribed").isEmpty());
      Timer wsTimer = timer(gw, "tidegate.delivery.latency", "ws");
      Timer sseTimer = timer(gw, "tidegate.delivery.latency", "sse");
      assertEquals(0, wsTimer.count() + sseTimer.count(), "nothing delivered yet");

      long before = System.currentTimeMillis();
      JsonArray records = new JsonArray();
      for (int i = 0; i < 30; i++) {
        records.add(new JsonObject().put("value", new JsonObject().put("n", i)));
      }
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records))
          .status());
      ws.awaitRecords(30);
      sse.awaitRecords(30);
      Awaits.until("the writes' completions are measured", () -> wsTimer.count() > 0 && sseTimer.count() > 0);
      double tookSeconds = (System.currentTimeMillis() - before) / 1000.0 + 1;
      for (String stage : List.of("tidegate.feed.poll.latency", "tidegate.feed.dispatch.latency")) {
        Timer t = gw.gateway().registry().find(stage).timer();
        assertTrue(t != null && t.count() > 0, stage + " recorded");
        assertTrue(t.max(TimeUnit.SECONDS) < tookSeconds, stage + " measured from the record's timestamp: "
            + t.max(TimeUnit.SECONDS) + " s within the " + tookSeconds + " s the test took");
      }
      for (Timer t : List.of(wsTimer, sseTimer)) {
        assertTrue(t.count() <= 30, "sampled, at most once per record: " + t.count());
        assertTrue(t.max(TimeUnit.SECONDS) < tookSeconds, "within the test's time: " + t.max(TimeUnit.SECONDS));
      }
      String scrape = Http.get(gw.url("/metrics")).body();
      for (String transport : List.of("ws", "sse")) {
        assertTrue(scrape.contains("tidegate_delivery_latency_seconds_bucket{transport=\"" + transport + "\",le=\""),
            "Prometheus has the histogram for " + transport);
      }
      long buckets = scrape.lines().filter(l -> l.startsWith("tidegate_delivery_latency_seconds_bucket{transport=\"ws\""))
          .count();
      assertTrue(buckets > 10 && buckets < 100, "bounded buckets: " + buckets);

      // a record stamped an hour ago (a producer's clock, or a record that waited): it took an hour
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          KafkaBrokerExtension.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(topic, 0, System.currentTimeMillis() - 3_600_000L, null,
            "{\"n\":30}".getBytes(StandardCharsets.UTF_8))).get();
      }
      ws.awaitRecords(31);
      sse.awaitRecords(31);
      Awaits.until("the old record's delivery is measured", () -> wsTimer.max(TimeUnit.SECONDS) >= 3600
          && sseTimer.max(TimeUnit.SECONDS) >= 3600);
      assertTrue(gw.gateway().registry().find("tidegate.feed.poll.latency").timer().max(TimeUnit.SECONDS) >= 3600);
    } finally {
      Awaits.result(clients.close());
    }
  }

  private static Timer timer(TestGateway gw, String name, String transport) {
    Timer t = gw.gateway().registry().find(name).tag("transport", transport).timer();
    assertTrue(t != null, name + " for " + transport + " is registered");
    return t;
  }
}
