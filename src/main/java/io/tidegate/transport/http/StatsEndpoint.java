package io.tidegate.transport.http;

import io.tidegate.error.Problems;

import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.ops.RecentLatency;
import io.tidegate.ops.TopicCounters;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /stats}: the gateway's own counters as small JSON for dashboards, which poll it and turn the
 * running totals into rates: {@code {"time","clients","websockets","sse","groupMembers","topics":{"orders":{"in","out"}},
 * "latency":{"ws":{"count","p50Ms","p99Ms"},"sse":...}}}; {@code latency} is the recent delivery latency per
 * transport ({@link RecentLatency}), empty until it is measured.
 */
public final class StatsEndpoint {
  private final MeterRegistry registry;
  private final RecentLatency latency;

  public StatsEndpoint(MeterRegistry registry) {
    this.registry = registry;
    this.latency = new RecentLatency(registry);
  }

  public void get(RoutingContext ctx) {
    int ws = (int) gauge("tidegate.ws.sessions");
    int sse = (int) gauge("tidegate.sse.sessions");
    Map<String, Long> in = TopicCounters.totals(registry, TopicCounters.PUBLISHED);
    Map<String, Long> out = TopicCounters.totals(registry, TopicCounters.READ);
    Map<String, JsonObject> topics = new TreeMap<>();
    in.forEach((t, n) -> topics.computeIfAbsent(t, x -> new JsonObject().put("in", 0L).put("out", 0L)).put("in", n));
    out.forEach((t, n) -> topics.computeIfAbsent(t, x -> new JsonObject().put("in", 0L).put("out", 0L)).put("out", n));
    JsonObject body = new JsonObject()
        .put("time", System.currentTimeMillis())
        .put("clients", ws + sse)
        .put("websockets", ws)
        .put("sse", sse)
        .put("groupMembers", (int) gauge("tidegate.group.members"))
        .put("topics", new JsonObject(new java.util.LinkedHashMap<>(topics)))
        .put("latency", latency.recent());
    ctx.response().putHeader("Cache-Control", "no-store");
    Problems.json(ctx, 200, body);
  }

  private double gauge(String name) {
    var g = registry.find(name).gauge();
    return g == null ? 0 : g.value();
  }
}
