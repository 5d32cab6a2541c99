package io.tidegate.transport.http;

import io.tidegate.error.Problems;

import io.micrometer.core.instrument.MeterRegistry;
import io.tidegate.Services;
import io.tidegate.ops.TopicCounters;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /stats}: the gateway's own counters as small JSON for dashboards, which poll it and turn the
 * running totals into rates: {@code {"time","clients","websockets","sse","groupMembers","topics":{"orders":{"in","out"}}}}.
 */
public final class StatsEndpoint {
  private final Services services;

  public StatsEndpoint(Services services) {
    this.services = services;
  }

  public void get(RoutingContext ctx) {
    MeterRegistry registry = services.metrics().registry();
    Map<String, Long> in = TopicCounters.totals(registry, TopicCounters.PUBLISHED);
    Map<String, Long> out = TopicCounters.totals(registry, TopicCounters.READ);
    Map<String, JsonObject> topics = new TreeMap<>();
    in.forEach((t, n) -> topics.computeIfAbsent(t, x -> new JsonObject().put("in", 0L).put("out", 0L)).put("in", n));
    out.forEach((t, n) -> topics.computeIfAbsent(t, x -> new JsonObject().put("in", 0L).put("out", 0L)).put("out", n));
    JsonObject body = new JsonObject()
        .put("time", System.currentTimeMillis())
        .put("clients", services.wsSessions().get() + services.sseSessions().get())
        .put("websockets", services.wsSessions().get())
        .put("sse", services.sseSessions().get())
        .put("groupMembers", services.config().ws().maxGroupMembers() - services.groupMembers().availablePermits())
        .put("topics", new JsonObject(new java.util.LinkedHashMap<>(topics)));
    ctx.response().putHeader("Cache-Control", "no-store");
    Problems.json(ctx, 200, body);
  }
}
