package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.Browser;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's delivery-latency panel, beside the throughput, in a real headless Chromium: "—" while nothing
 * is measured, then each transport's p50 and p99 from {@code GET /stats}, measured by the gateway on real
 * deliveries to a WebSocket and an SSE stream.
 */
@GatewayIT
class DashboardLatencyIT {
  @Test
  void thePanelShowsADashUntilLatencyIsRecordedThenEachTransportsPercentiles() {
    String topic = uniqueTopic("latency");
    createTopic(topic, 2);
    Vertx vertx = Vertx.vertx();
    try (TestGateway gw = TestGateway.start(); Browser browser = Browser.start()) {
      JsonObject none = Http.get(gw.url("/stats")).json().getJsonObject("latency");
      for (String t : List.of("ws", "sse")) {
        assertEquals(0, none.getJsonObject(t, new JsonObject().put("count", 0)).getInteger("count"), "nothing measured yet: " + none);
      }
      browser.viewport(Browser.DESKTOP_WIDTH, Browser.DESKTOP_HEIGHT);
      browser.driver().get(gw.url("/"));
      browser.waitUntil("the dashboard has polled /stats", () -> Boolean.TRUE.equals(browser.js(
          "return document.documentElement.dataset.ready === 'true' && window.tidegate.throughput.last !== null")));
      assertTrue((Boolean) browser.js("const p = document.getElementById('latency-panel');"
          + "return p.closest('#throughput') !== null && p.getBoundingClientRect().height > 0"), "shown with the throughput");
      assertEquals(List.of("—", "—", "0"), cells(browser, "ws"));
      assertEquals(List.of("—", "—", "0"), cells(browser, "sse"));

      // real deliveries to a WebSocket and an SSE stream, of records stamped 2 s before they are published:
      // the gateway's own delivery-latency timer measures from the record's timestamp, so it shows about 2 s
      try (WsClient ws = WsClient.connect(vertx, gw);
          SseClient sse = SseClient.open(gw.url("/events?topic=" + topic))) {
        ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic)));
        ws.awaitType("subscribed", "s");
        Awaits.until("the SSE stream is subscribed", Duration.ofSeconds(30), () -> !sse.named("subscribed").isEmpty());
        JsonArray records = new JsonArray();
        for (int i = 0; i < 100; i++) {
          records.add(new JsonObject().put("key", "k" + i).put("value", i)
              .put("timestamp", System.currentTimeMillis() - 2_000));
        }
        assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records)).status());
        ws.awaitRecords(100);
        sse.awaitRecords(100);
        browser.waitUntil("the panel shows the measured latency",
            () -> !cells(browser, "sse").get(0).equals("—") && !cells(browser, "ws").get(0).equals("—"));
      }
      for (String t : List.of("ws", "sse")) {
        List<String> c = cells(browser, t);
        assertTrue(Integer.parseInt(c.get(2).replace(",", "")) >= 1, t + " deliveries counted: " + c);
        assertBetween(1_500, 4_000, c.get(0)); // p50 and p99 of deliveries 2 s after their timestamp, from buckets
        assertBetween(1_500, 4_000, c.get(1));
      }
      browser.js("document.getElementById('latency-panel').scrollIntoView()");
      browser.screenshot(Path.of("target", "screenshots"), "DashboardLatencyIT-1280x800-light");
      assertTrue(browser.consoleLog().stream().noneMatch(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()
          && !e.getMessage().contains("Failed to load resource")), "no script errors");
    } finally {
      Awaits.result(vertx.close());
    }
  }

  /** p50, p99 and the count shown for one transport. */
  @SuppressWarnings("unchecked")
  private static List<String> cells(Browser browser, String transport) {
    return (List<String>) browser.js("return [...document.querySelectorAll("
        + "'#latency-table tr[data-transport=\"' + arguments[0] + '\"] td')].map(td => td.textContent)", transport);
  }

  private static void assertBetween(double low, double high, String shown) {
    assertTrue(shown.endsWith(" ms"), shown);
    double ms = Double.parseDouble(shown.replace(" ms", "").replace(",", ""));
    assertTrue(ms >= low && ms <= high, shown + " not within " + low + " to " + high + " ms");
  }
}
