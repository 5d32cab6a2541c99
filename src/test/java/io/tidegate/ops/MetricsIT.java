package io.tidegate.ops;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} after real traffic (HTTP publishes, a WebSocket and an SSE subscriber, a refused request),
 * and the Grafana dashboard and alert rules in {@code conf/} kept honest: every metric they name is in the scrape.
 */
@GatewayIT
class MetricsIT {
  private static final String SECRET = "metrics-it-secret-of-at-least-32-bytes!!";
  static final Path DASHBOARD = Path.of("conf", "grafana-dashboard.json");
  static final Path ALERTS = Path.of("conf", "prometheus-alerts.yml");
  /** A metric name as PromQL names one: our prefixes, then the rest of the identifier. */
  private static final Pattern NAME = Pattern.compile("\\b((?:tidegate|vertx|netty|jvm|process|kafka)_[a-zA-Z0-9_]+)");

  @Test
  void trafficShowsInTheScrapeAndEveryMetricTheDashboardAndAlertsNameExists() throws Exception {
    String topic = uniqueTopic("metrics");
    createTopic(topic, 3);
    String token = Jwts.hs256(SECRET, Jwts.claims("ops-user", 600).put("roles", new JsonArray().add("ops")));
    Vertx clients = Vertx.vertx();
    try (TestGateway gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
             .put("jwt", new JsonObject().put("secret", SECRET))
             .put("roles", new JsonObject().put("ops", new JsonObject()
                 .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*")))))
             // the feed reads a topic for ws.tailLingerSeconds after its last subscriber left: 1 s, not 30
             .put("ws", new JsonObject().put("tailLingerSeconds", 1)));
         WsClient ws = WsClient.connect(clients, gw, token);
         SseClient sse = SseClient.open(gw.url("/events?topic=" + topic + "&access_token=" + token))) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic)));
      ws.awaitType("subscribed", "s");
      Awaits.until("the SSE stream is open", () -> gw.gauge("tidegate.sse.sessions") == 1);
      JsonArray records = new JsonArray();
      for (int i = 0; i < 30; i++) {
        records.add(new JsonObject().put("key", "k" + i).put("value", new JsonObject().put("n", i)));
      }
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records),
          "Authorization", "Bearer " + token).status());
      ws.awaitRecords(30);
      sse.awaitRecords(30);
      assertEquals(401, Http.get(gw.url("/topics"), "Authorization", "Bearer not-a-token").status());
      Awaits.until("the feed's lag is reported for each partition of the topic", () -> scrape(gw).lines()
          .filter(l -> l.startsWith("tidegate_feed_lag{") && l.contains("topic=\"" + topic + "\"")).count() == 3);

      String scrape = scrape(gw);
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target", "metrics-scrape.txt"), scrape); // to read when this test fails
      Set<String> names = names(scrape);

      // Vert.x's own meters, with route templates as labels: never a topic (a path) in a label
      assertTrue(has(scrape, "vertx_http_server_requests_total{", "route=\"/topics/:topic/records\"", "code=\"200\""), "publish by route");
      assertTrue(has(scrape, "vertx_http_server_requests_total{", "code=\"401\""), "the refused request");
      assertTrue(has(scrape, "vertx_http_server_active_ws_connections", " 1.0"), "one WebSocket open");
      assertTrue(has(scrape, "vertx_http_server_response_time_seconds_bucket{", "le=\"0.1\""), "response time buckets");
      assertFalse(scrape.lines().anyMatch(l -> l.startsWith("vertx_") && l.contains(topic)),
          "a topic in a Vert.x label: one series per path");
      assertTrue(names.contains("netty_eventexecutor_tasks_pending"), "tasks pending per event loop");
      assertTrue(has(scrape, "tidegate_eventloop_delay_seconds_bucket{", "loop=\"vert.x-eventloop-thread-"), "event-loop delay");
      // Tidegate's own
      assertTrue(has(scrape, "tidegate_publish_ack_seconds_bucket{", "le=\"0.01\""), "publish latency buckets");
      assertTrue(has(scrape, "tidegate_publish_ack_seconds_count", " 1"), "one batch acknowledged");
      assertTrue(has(scrape, "tidegate_auth_denials_total{", "reason=\"unauthenticated\"", "} 1.0"), "one denial");
      for (String transport : List.of("ws", "sse")) {
        assertTrue(has(scrape, "tidegate_stream_queued_bytes{", "transport=\"" + transport + "\""), transport);
        assertTrue(has(scrape, "tidegate_stream_closed_slow_total{", "transport=\"" + transport + "\""), transport);
      }
      assertTrue(has(scrape, "tidegate_topic_records_published_total{", topic, "} 30.0"), "records in");
      assertTrue(has(scrape, "tidegate_topic_records_read_total{", topic, "} 30.0"), "records out");

      List<String> missing = new ArrayList<>();
      for (Path file : List.of(DASHBOARD, ALERTS)) {
        Set<String> used = used(file);
        assertFalse(used.isEmpty(), file + " names no metric");
        for (String name : used) {
          if (!names.contains(name)) {
            missing.add(file + ": " + name);
          }
        }
      }
      assertEquals(List.of(), missing, "metrics named in conf/ that /metrics does not have");

      // a topic nobody reads any more has no lag gauge left
      ws.send(new JsonObject().put("type", "unsubscribe").put("id", "u").put("topics", new JsonArray().add(topic)));
      sse.close();
      Awaits.until("the topic's lag gauges are gone once its linger is over", () -> scrape(gw).lines()
          .noneMatch(l -> l.startsWith("tidegate_feed_lag{") && l.contains("topic=\"" + topic + "\"")));
    } finally {
      Awaits.result(clients.close());
    }
  }

  /** The dashboard's queries and the rules' expressions: JSON and YAML read loosely, names by pattern. */
  static Set<String> used(Path file) throws Exception {
    String text = Files.readString(file);
    List<String> exprs = new ArrayList<>();
    if (file.toString().endsWith(".json")) {
      JsonObject dashboard = new JsonObject(text); // must parse: Grafana imports JSON
      for (Object p : dashboard.getJsonArray("panels")) {
        JsonArray targets = ((JsonObject) p).getJsonArray("targets");
        if (targets != null) {
          targets.forEach(t -> exprs.add(((JsonObject) t).getString("expr")));
        }
      }
    } else {
      // expr: one line, or a block (| or >) of more indented lines
      List<String> lines = text.lines().toList();
      for (int i = 0; i < lines.size(); i++) {
        String l = lines.get(i);
        int at = l.indexOf("expr:");
        if (at >= 0) {
          StringBuilder e = new StringBuilder(l.substring(at + 5));
          int indent = l.indexOf(l.trim());
          while (i + 1 < lines.size() && (lines.get(i + 1).isBlank()
              || lines.get(i + 1).indexOf(lines.get(i + 1).trim()) > indent)) {
            e.append('\n').append(lines.get(++i));
          }
          exprs.add(e.toString());
        }
      }
    }
    Set<String> names = new TreeSet<>();
    for (String e : exprs) {
      Matcher m = NAME.matcher(e);
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** Every metric name in a scrape (histograms' _bucket, _count and _sum series are names of their own). */
  private static Set<String> names(String scrape) {
    Set<String> names = new TreeSet<>();
    scrape.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
        .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
    return names;
  }

  private static boolean has(String scrape, String start, String... parts) {
    return scrape.lines().anyMatch(l -> l.startsWith(start) && List.of(parts).stream().allMatch(l::contains));
  }

  private static String scrape(TestGateway gw) {
    Http.Response r = Http.get(gw.url("/metrics"));
    assertEquals(200, r.status());
    return r.body();
  }
}
