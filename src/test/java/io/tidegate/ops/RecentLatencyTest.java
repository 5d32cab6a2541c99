package io.tidegate.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The dashboard's recent delivery latency, from the timer's Prometheus buckets. */
class RecentLatencyTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicLong now = new AtomicLong();
  private final RecentLatency latency = new RecentLatency(registry, now::get);

  /** As the fanout helper's meter is made: a percentile histogram per transport. */
  private Timer timer(String transport) {
    return Timer.builder(RecentLatency.NAME).tag("transport", transport).publishPercentileHistogram()
        .register(registry);
  }

  @Test
  void nothingBeforeTheTimerExists() {
    assertEquals(new JsonObject(), latency.recent());
  }

  @Test
  void percentilesPerTransportAsHistogramQuantileEstimatesThem() {
    Timer ws = timer("ws");
    timer("sse");
    for (int i = 0; i < 99; i++) {
      ws.record(Duration.ofMillis(2));
    }
    ws.record(Duration.ofMillis(800));
    JsonObject r = latency.recent();
    assertEquals(100L, r.getJsonObject("ws").getLong("count"));
    double p50 = r.getJsonObject("ws").getDouble("p50Ms");
    double p99 = r.getJsonObject("ws").getDouble("p99Ms");
    assertTrue(p50 > 1 && p50 <= 3, "p50 " + p50);
    assertTrue(p99 <= 3, "the 99th of 100 is still 2 ms: " + p99);
    assertEquals(0L, r.getJsonObject("sse").getLong("count"));
    assertNull(r.getJsonObject("sse").getValue("p50Ms"), "no delivery, no percentile");
  }

  @Test
  void theWindowForgetsWhatIsOlderThanTwoRotations() {
    Timer ws = timer("ws");
    for (int i = 0; i < 100; i++) {
      ws.record(Duration.ofSeconds(1)); // a slow spell
    }
    assertTrue(latency.recent().getJsonObject("ws").getDouble("p50Ms") > 500);
    now.addAndGet(RecentLatency.ROTATE_NANOS);
    latency.recent(); // the slow spell is now the window's end
    now.addAndGet(RecentLatency.ROTATE_NANOS);
    latency.recent(); // ... and now its start
    for (int i = 0; i < 10; i++) {
      ws.record(Duration.ofMillis(3));
    }
    JsonObject w = latency.recent().getJsonObject("ws");
    assertEquals(10L, w.getLong("count"));
    assertFalse(w.getDouble("p99Ms") > 10, "the slow spell has left the window: " + w);
  }
}
