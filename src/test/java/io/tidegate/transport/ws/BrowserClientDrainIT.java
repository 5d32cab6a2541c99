package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Browser;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * tidegate.js in a real Chromium, behind a TCP forwarder standing for a load balancer: the gateway it is on
 * stops gracefully while the balancer already sends new connections to a second one. The client reconnects on
 * close 1012 at once (no backoff, though its backoff is set to seconds) and resumes from its offsets there:
 * every record once.
 */
@GatewayIT
class BrowserClientDrainIT {

  @Test
  void onClose1012TheClientReconnectsAtOnceAndResumesWithNoGapAndNoDuplicate() throws Exception {
    String topic = uniqueTopic("jsdrain");
    createTopic(topic, 3);
    Vertx vertx = Vertx.vertx();
    TestGateway first = TestGateway.start();
    TestGateway second = TestGateway.start();
    AtomicInteger target = new AtomicInteger(port(first));
    NetClient forward = vertx.createNetClient();
    NetServer balancer = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      forward.connect(target.get(), "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        in.pipeTo(ar.result());
        ar.result().pipeTo(in);
        in.resume();
      });
    });
    int lb = Awaits.result(balancer.listen(0, "127.0.0.1")).actualPort();
    String base = "http://127.0.0.1:" + lb;
    try (Browser browser = Browser.start();
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
            KafkaBrokerExtension.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
      browser.driver().get(base + "/health/live");
      String result = browser.js("return (async () => {"
          + "const { TidegateClient } = await import('/tidegate.js');"
          + "const h = window.h = { got: [], states: [], draining: 0 };"
          + "h.client = new TidegateClient({ url: arguments[0], httpBase: arguments[1],"
          + "  reconnect: { initialMs: 4000, maxMs: 8000, factor: 2 } });"
          + "h.client.addEventListener('state', e => h.states.push(JSON.stringify(e.detail)));"
          + "h.client.addEventListener('draining', () => h.draining++);"
          + "try {"
          + "  h.sub = await h.client.subscribe([arguments[2]], r => h.got.push([r.partition, r.offset, r.value.n]),"
          + "    { from: 'latest' });"
          + "  return 'subscribed';"
          + "} catch (e) { return 'failed: ' + e.message; }"
          + "})()", "ws://127.0.0.1:" + lb + "/ws", base, topic);
      assertEquals("subscribed", result);
      produce(producer, topic, 0, 150);
      browser.waitUntil("the first 150 records arrive", Duration.ofSeconds(60), () -> got(browser) >= 150);

      target.set(port(second)); // the balancer sends new connections to the other gateway
      first.close(); // the graceful stop: draining with offsets, then 1012
      browser.waitUntil("the client heard draining and is on the second gateway", Duration.ofSeconds(60),
          () -> number(browser, "window.h.draining") == 1 && "open".equals(browser.js("return window.h.client.state;")));
      produce(producer, topic, 150, 300);
      browser.waitUntil("all 300 records arrive", Duration.ofSeconds(60), () -> got(browser) >= 300);
      Awaits.stays("no more than 300", Duration.ofMillis(500), () -> got(browser) == 300);

      List<String> states = browser.js("return window.h.states;");
      JsonObject reconnecting = states.stream().map(JsonObject::new)
          .filter(s -> "reconnecting".equals(s.getString("state"))).findFirst().orElseThrow();
      assertEquals(1012, reconnecting.getInteger("code"), "states: " + states);
      assertEquals(0, reconnecting.getInteger("delayMs"), "1012 reconnects at once, no backoff: " + states);
      assertEquals(2, states.stream().filter(s -> s.contains("\"open\"")).count(),
          "one reconnect, which found the second gateway: " + states);

      List<List<Number>> got = browser.js("return window.h.got;");
      Map<Long, Long> last = new HashMap<>();
      TreeSet<Long> ns = new TreeSet<>();
      for (List<Number> r : got) {
        long p = r.get(0).longValue();
        long o = r.get(1).longValue();
        if (last.containsKey(p)) {
          assertEquals(last.get(p) + 1, o, "offsets follow each other on partition " + p + ": nothing lost, nothing twice");
        }
        last.put(p, o);
        assertTrue(ns.add(r.get(2).longValue()), "record " + r.get(2) + " once");
      }
      assertEquals(300, ns.size());
      browser.js("window.h.client.close();");
    } finally {
      second.close();
      Awaits.result(balancer.close());
      Awaits.result(vertx.close());
    }
  }

  private static int port(TestGateway gw) {
    return Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"));
  }

  private static void produce(KafkaProducer<byte[], byte[]> producer, String topic, int from, int to) {
    for (int n = from; n < to; n++) {
      producer.send(new ProducerRecord<>(topic, ("k" + n).getBytes(StandardCharsets.UTF_8),
          new JsonObject().put("n", n).encode().getBytes(StandardCharsets.UTF_8)));
    }
    producer.flush();
  }

  private static long got(Browser browser) {
    return number(browser, "window.h.got.length");
  }

  private static long number(Browser browser, String expr) {
    return ((Number) browser.js("return " + expr + ";")).longValue();
  }
}
