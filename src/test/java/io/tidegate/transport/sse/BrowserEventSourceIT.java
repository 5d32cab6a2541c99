package io.tidegate.transport.sse;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Browser;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A browser's own EventSource against /events: the gateway it reads from stops, records are written while no
 * gateway runs, another gateway starts on the same address, and the browser reconnects by itself with its
 * Last-Event-ID and gets every record exactly once.
 */
@GatewayIT
class BrowserEventSourceIT {
  @Test
  void aBrowsersEventSourceResumesOnAnotherGatewayWithNothingMissingAndNothingTwice() throws Exception {
    String topic = uniqueTopic("browser-sse");
    createTopic(topic, 3);
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    JsonObject onPort = new JsonObject().put("http", new JsonObject().put("port", port));
    try (Browser browser = Browser.start()) {
      TestGateway a = TestGateway.start(onPort);
      try {
        browser.driver().get(a.url("/"));
        browser.js("window.got = []; window.opened = 0;"
            + "const es = new EventSource('/events?topic=" + topic + "&from=earliest');"
            + "es.onopen = () => window.opened++;"
            + "es.addEventListener('record', e => window.got.push({n: JSON.parse(e.data).value.n,"
            + "  p: JSON.parse(e.data).partition, o: JSON.parse(e.data).offset, id: e.lastEventId}));");
        publish(a, topic, 0, 100);
        browser.waitUntil("the browser has the first 100 records", Duration.ofSeconds(30), () -> count(browser) >= 100);
      } finally {
        a.close(); // the stream ends with the gateway
      }
      // written while no gateway runs: only the browser's cursor can bring them
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          KafkaBrokerExtension.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (int n = 100; n < 150; n++) {
          producer.send(new ProducerRecord<>(topic, ("k" + n).getBytes(StandardCharsets.UTF_8),
              new JsonObject().put("n", n).encode().getBytes(StandardCharsets.UTF_8))).get();
        }
      }
      try (TestGateway b = TestGateway.start(onPort)) {
        publish(b, topic, 150, 200);
        browser.waitUntil("the browser reconnected and has all 200 records", Duration.ofSeconds(30), () -> count(browser) >= 200);
        // a negative check: a record delivered twice at the very end would come right behind the last one
        Awaits.stays("the browser has 200 records, no more", Duration.ofMillis(300), () -> count(browser) == 200);
        List<Map<String, Object>> got = browser.js("return window.got;");
        List<Long> ns = new ArrayList<>();
        Map<Long, Long> last = new HashMap<>();
        for (Map<String, Object> r : got) {
          ns.add(((Number) r.get("n")).longValue());
          long p = ((Number) r.get("p")).longValue();
          long o = ((Number) r.get("o")).longValue();
          assertEquals(last.getOrDefault(p, -1L) + 1, o, "offsets follow each other on partition " + p);
          last.put(p, o);
        }
        assertEquals(200, ns.size(), "every record once: the reconnect resumed after the last id, not from earliest");
        assertEquals(200L, ns.stream().distinct().count());
        assertEquals(2L, ((Number) browser.js("return window.opened;")).longValue(), "the browser reconnected by itself");
        browser.screenshot(Path.of("target", "screenshots"), "BrowserEventSourceIT-1280x800");
        browser.viewport(Browser.PHONE_WIDTH, Browser.PHONE_HEIGHT);
        browser.screenshot(Path.of("target", "screenshots"), "BrowserEventSourceIT-390x844");
      }
    }
  }

  private static long count(Browser browser) {
    return ((Number) browser.js("return window.got.length;")).longValue();
  }

  private static void publish(TestGateway gw, String topic, int from, int to) {
    JsonArray records = new JsonArray();
    for (int n = from; n < to; n++) {
      records.add(new JsonObject().put("key", "k" + n).put("value", new JsonObject().put("n", n)));
    }
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
    assertEquals(200, r.status(), r.body());
  }
}
