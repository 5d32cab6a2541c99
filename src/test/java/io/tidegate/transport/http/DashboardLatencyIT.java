package io.tidegate.transport.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.tidegate.testing.Browser;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's delivery-latency panel, beside the throughput, in a real headless Chromium: "—" while nothing
 * is measured, then each transport's p50 and p99 from {@code GET /stats}.
 */
@GatewayIT
class DashboardLatencyIT {
  @Test
  void thePanelShowsADashUntilLatencyIsRecordedThenEachTransportsPercentiles() {
    try (TestGateway gw = TestGateway.start(); Browser browser = Browser.start()) {
      assertEquals(new JsonObject(), Http.get(gw.url("/stats")).json().getJsonObject("latency"), "nothing measured yet");
      browser.viewport(Browser.DESKTOP_WIDTH, Browser.DESKTOP_HEIGHT);
      browser.driver().get(gw.url("/"));
      browser.waitUntil("the dashboard has polled /stats", () -> Boolean.TRUE.equals(browser.js(
          "return document.documentElement.dataset.ready === 'true' && window.tidegate.throughput.last !== null")));
      assertTrue((Boolean) browser.js("const p = document.getElementById('latency-panel');"
          + "return p.closest('#throughput') !== null && p.getBoundingClientRect().height > 0"), "shown with the throughput");
      assertEquals(List.of("—", "—", "—"), cells(browser, "ws"));
      assertEquals(List.of("—", "—", "—"), cells(browser, "sse"));

      // Stands in for the fan-out work's meter (issue 13), which records each delivery as this timer with
      // its transport; recorded here through the gateway's own registry.
      Timer ws = Timer.builder("tidegate.delivery.latency").tag("transport", "ws").publishPercentileHistogram()
          .register(gw.gateway().registry());
      Timer sse = Timer.builder("tidegate.delivery.latency").tag("transport", "sse").publishPercentileHistogram()
          .register(gw.gateway().registry());
      for (int i = 0; i < 100; i++) {
        ws.record(Duration.ofMillis(3));
        sse.record(Duration.ofMillis(40));
      }
      browser.waitUntil("the panel shows the recorded latency", () -> !cells(browser, "sse").get(0).equals("—"));
      List<String> w = cells(browser, "ws");
      List<String> s = cells(browser, "sse");
      assertEquals("100", w.get(2));
      assertEquals("100", s.get(2));
      assertBetween(1, 5, w.get(0));   // p50 of 3 ms deliveries, from the histogram's buckets
      assertBetween(1, 5, w.get(1));
      assertBetween(30, 50, s.get(0)); // and of 40 ms ones
      assertBetween(30, 50, s.get(1));
      browser.js("document.getElementById('latency-panel').scrollIntoView()");
      browser.screenshot(Path.of("target", "screenshots"), "DashboardLatencyIT-1280x800-light");
      assertTrue(browser.consoleLog().stream().noneMatch(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()
          && !e.getMessage().contains("Failed to load resource")), "no script errors");
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
