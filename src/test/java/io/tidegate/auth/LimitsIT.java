package io.tidegate.auth;

import static io.tidegate.testing.Jwts.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-subject limits and the identity stamp, in {@code auth.mode} jwt with tokens signed here, against the real
 * broker: WebSockets and SSE streams per subject (429 before the upgrade, other subjects unaffected, a slot freed
 * by a close), publish records/s and bytes/s over HTTP and WebSocket (429 with Retry-After, nothing written), and
 * {@code auth.stampHeader} on records read back with a plain Kafka consumer, never forgeable.
 *
 * <p>Every publish scenario has a subject of its own (buckets are per subject), and spends its burst with one
 * oversized publish first: the debt that leaves takes seconds to pay back, so the refusal that follows does not
 * depend on how fast this machine sends the next request.
 */
@GatewayIT
class LimitsIT {
  private static final String SECRET = "an-integration-test-secret-of-32-bytes+";
  private static final String STAMP = "tidegate-subject";
  private static final int RECORDS_PER_SECOND = 10;
  private static final int BYTES_PER_SECOND = 10_000;
  static TestGateway gw;
  static Vertx vertx;
  static String topic;

  @BeforeAll
  static void start() {
    topic = KafkaTestClients.uniqueTopic("limits.it");
    KafkaTestClients.createTopic(topic, 1);
    gw = TestGateway.start(new JsonObject()
        .put("limits", new JsonObject().put("maxConnectionsPerSubject", 2)
            .put("publishRecordsPerSecond", RECORDS_PER_SECOND).put("publishBytesPerSecond", BYTES_PER_SECOND))
        .put("auth", new JsonObject().put("mode", "jwt").put("stampHeader", STAMP)
            .put("jwt", new JsonObject().put("secret", SECRET))));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    gw.close();
    Awaits.result(vertx.close());
  }

  /** A token for {@code sub} that may publish to and subscribe to the test's topics. */
  private static String token(String sub) {
    JsonArray limitsTopics = new JsonArray().add("limits.*");
    return Jwts.hs256(SECRET, claims(sub, 600).put("tidegate", new JsonObject().put("publish", limitsTopics)
        .put("subscribe", limitsTopics)));
  }

  private static String[] bearer(String sub) {
    return new String[] {"Authorization", "Bearer " + token(sub)};
  }

  private static long endOffset() {
    return KafkaTestClients.endOffsetSum(topic, 1);
  }

  private static JsonObject batch(int records) {
    JsonArray list = new JsonArray();
    for (int i = 0; i < records; i++) {
      list.add(new JsonObject().put("value", i));
    }
    return new JsonObject().put("records", list);
  }

  private static Http.Response publishJson(String sub, JsonObject body) {
    return Http.postJson(gw.url("/topics/" + topic + "/records"), body, bearer(sub));
  }

  private static void assertRateLimited(Http.Response r, String limit) {
    assertEquals(429, r.status(), r.body());
    assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
    assertTrue(r.body().contains("limits." + limit), "the problem names the limit: " + r.body());
    assertNotNull(r.header("Retry-After"), "a 429 says when to retry");
    assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1, r.header("Retry-After"));
  }

  /** A counter's value in the Prometheus scrape at /metrics. */
  private static double scraped(String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(Http.get(gw.url("/metrics")).body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  // ---- connections per subject ----

  /** The refused handshake: its status and headers (fails when the socket opens). */
  private static UpgradeRejectedException wsRefused(String sub) {
    try {
      WsClient.connect(vertx, gw, token(sub)).close();
    } catch (RuntimeException e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof UpgradeRejectedException u) {
          return u;
        }
      }
      throw e;
    }
    return fail("the WebSocket of " + sub + " opened, over limits.maxConnectionsPerSubject");
  }

  @Test
  void aSubjectHoldsAtMostItsLimitOfWebSocketsAndStreamsAndAClosedOneFreesASlot() {
    String refusedSeries = "tidegate_limits_refused_total{limit=\"maxConnectionsPerSubject\"}";
    double refusedBefore = scraped(refusedSeries);
    WsClient first = WsClient.connect(vertx, gw, token("carol"));
    try (Http.Streamed stream = Http.stream(gw.url("/events?topic=" + topic), bearer("carol"))) {
      assertEquals(200, stream.status(), "the second connection, an SSE stream, is within the limit");

      UpgradeRejectedException ws = wsRefused("carol");
      assertEquals(429, ws.getStatus(), "a third connection is refused before the upgrade");
      MultiMap headers = ws.getHeaders();
      assertNotNull(headers.get("Retry-After"), "with Retry-After");
      assertTrue(headers.get("Content-Type").startsWith("application/problem+json"));
      assertTrue(ws.getBody().toString().contains("limits.maxConnectionsPerSubject"), ws.getBody().toString());

      try (Http.Streamed sse = Http.stream(gw.url("/events?topic=" + topic), bearer("carol"))) {
        assertEquals(429, sse.status(), "an SSE request over the limit is refused before the stream starts");
        assertNotNull(sse.header("Retry-After"));
        assertTrue(sse.header("Content-Type").startsWith("application/problem+json"));
      }

      // others are not affected
      try (WsClient dave = WsClient.connect(vertx, gw, token("dave"));
          Http.Streamed daves = Http.stream(gw.url("/events?topic=" + topic), bearer("dave"))) {
        dave.send(new JsonObject().put("type", "ping").put("id", "p"));
        dave.awaitType("pong", "p");
        assertEquals(200, daves.status());
      }
      assertEquals(refusedBefore + 2, scraped(refusedSeries), "both refusals are counted on /metrics");

      // closing the WebSocket frees its slot (once the gateway has seen the close)
      first.close();
      List<WsClient> opened = new ArrayList<>();
      try {
        Awaits.until("carol's closed WebSocket frees a slot", Duration.ofSeconds(30), () -> {
          try {
            opened.add(WsClient.connect(vertx, gw, token("carol")));
            return true;
          } catch (RuntimeException e) {
            return false;
          }
        });
        assertEquals(429, wsRefused("carol").getStatus(), "and only one");
      } finally {
        opened.forEach(WsClient::close);
      }
    } finally {
      first.close();
    }
    // the stream is closed too: both slots come back
    Awaits.until("carol's slots are all free again", Duration.ofSeconds(30), () -> gw.gauge("tidegate.limits.subjects") == 0);
    try (WsClient a = WsClient.connect(vertx, gw, token("carol")); WsClient b = WsClient.connect(vertx, gw, token("carol"))) {
      a.send(new JsonObject().put("type", "ping").put("id", "p"));
      a.awaitType("pong", "p");
    }
  }

  @Test
  void aWebSocketThatAuthenticatesByFrameOverTheLimitGetsA429FrameAndClose1013() {
    try (WsClient a = WsClient.connect(vertx, gw, token("ivan")); WsClient b = WsClient.connect(vertx, gw, token("ivan"));
        WsClient late = WsClient.connect(vertx, gw)) { // no token at the handshake: it authenticates by frame
      late.send(new JsonObject().put("type", "auth").put("id", "a1").put("token", token("ivan")));
      JsonObject error = late.awaitType("error", "a1");
      assertEquals(429, error.getInteger("status"), error.encode());
      assertEquals((short) 1013, late.awaitClose(), "over limits.maxConnectionsPerSubject: closed as overloaded");
      a.send(new JsonObject().put("type", "ping").put("id", "p"));
      a.awaitType("pong", "p");
    }
    // a socket that authenticates by frame holds a slot like one that came with its token
    Awaits.until("ivan's slots are free again", Duration.ofSeconds(30), () -> gw.gauge("tidegate.limits.subjects") == 0);
    try (WsClient byFrame = WsClient.connect(vertx, gw)) {
      byFrame.send(new JsonObject().put("type", "auth").put("id", "a2").put("token", token("ivan")));
      byFrame.awaitType("authenticated", "a2");
      try (WsClient second = WsClient.connect(vertx, gw, token("ivan"))) {
        assertEquals(429, wsRefused("ivan").getStatus(), "the frame-authenticated socket and one more fill the limit");
      }
    }
  }

  // ---- publish rates ----

  @Test
  void httpPublishOverTheRecordRateIs429WithRetryAfterAndWritesNothing() throws Exception {
    String series = "tidegate_limits_refused_total{limit=\"publishRecordsPerSecond\"}";
    double refusedBefore = scraped(series);
    long start = endOffset();
    // ten seconds' worth at once: a full bucket lets it through, and leaves a debt of nine seconds
    assertEquals(200, publishJson("rita", batch(10 * RECORDS_PER_SECOND)).status());
    long afterBurst = endOffset();
    assertEquals(start + 10 * RECORDS_PER_SECOND, afterBurst);

    Http.Response single = publishJson("rita", new JsonObject().put("value", "one more"));
    assertRateLimited(single, "publishRecordsPerSecond");
    Http.Response batch = publishJson("rita", batch(3));
    assertRateLimited(batch, "publishRecordsPerSecond");
    Http.Response raw = Http.post(gw.url("/topics/" + topic + "?key=k"), "text/plain", "raw", bearer("rita"));
    assertRateLimited(raw, "publishRecordsPerSecond");
    assertEquals(afterBurst, endOffset(), "nothing refused reached Kafka");
    assertEquals(refusedBefore + 3, scraped(series), "each refusal is counted on /metrics");

    // another subject has a bucket of its own
    assertEquals(200, publishJson("ron", new JsonObject().put("value", "mine")).status());

    // Retry-After is honest: after that long, the same publish passes
    int retryAfter = Integer.parseInt(publishJson("rita", batch(3)).header("Retry-After"));
    assertTrue(retryAfter <= 10, "at most the debt's ten seconds: " + retryAfter);
    Thread.sleep(retryAfter * 1000L); // the subject of the test is the passing of time itself
    assertEquals(200, publishJson("rita", batch(3)).status());
  }

  @Test
  void httpPublishOverTheByteRateIs429AndWritesNothing() {
    String series = "tidegate_limits_refused_total{limit=\"publishBytesPerSecond\"}";
    double refusedBefore = scraped(series);
    byte[] big = new byte[5 * BYTES_PER_SECOND];
    java.util.Arrays.fill(big, (byte) 'x');
    // five seconds' worth in one raw body: through on a full bucket, four seconds of debt after
    assertEquals(200, Http.post(gw.url("/topics/" + topic), "application/octet-stream", big, bearer("bea")).status());
    long before = endOffset();
    assertRateLimited(publishJson("bea", new JsonObject().put("value", "small")), "publishBytesPerSecond");
    assertRateLimited(Http.post(gw.url("/topics/" + topic), "text/plain", "small", bearer("bea")), "publishBytesPerSecond");
    assertEquals(before, endOffset(), "nothing refused reached Kafka");
    assertEquals(refusedBefore + 2, scraped(series));
  }

  @Test
  void aWebSocketPublishOverTheRateGetsA429FrameAndTheSocketStaysOpen() {
    try (WsClient ws = WsClient.connect(vertx, gw, token("wanda"))) {
      assertEquals(200, publishJson("wanda", batch(5 * RECORDS_PER_SECOND)).status(), "the burst, spent over HTTP");
      long before = endOffset();
      ws.send(new JsonObject().put("type", "publish").put("id", "p1").put("topic", topic).put("value", 1));
      JsonObject error = ws.awaitType("error", "p1");
      assertEquals(429, error.getInteger("status"), error.encode());
      assertTrue(error.getString("detail").contains("limits.publishRecordsPerSecond"), error.encode());
      assertEquals(before, endOffset(), "the refused record was not written");
      ws.send(new JsonObject().put("type", "ping").put("id", "still-open"));
      ws.awaitType("pong", "still-open");
      assertNull(ws.closeCode(), "the socket stays open");
    }
  }

  // ---- the identity stamp ----

  private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> r) {
    Map<String, String> out = new HashMap<>();
    for (Header h : r.headers()) {
      out.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
    }
    return out;
  }

  @Test
  void everyPublishedRecordCarriesItsPublishersSubjectAndTheHeaderCannotBeForged() {
    String stamped = KafkaTestClients.uniqueTopic("limits.stamp");
    KafkaTestClients.createTopic(stamped, 1);
    String url = gw.url("/topics/" + stamped + "/records");
    assertEquals(200, Http.postJson(url, new JsonObject().put("key", "a").put("value", "json")
        .put("headers", new JsonObject().put("app", "web")), bearer("sam")).status());
    assertEquals(200, Http.post(gw.url("/topics/" + stamped + "?key=b"), "text/plain", "raw", bearer("sam")).status());
    try (WsClient ws = WsClient.connect(vertx, gw, token("tess"))) {
      ws.send(new JsonObject().put("type", "publish").put("id", "p1").put("topic", stamped).put("key", "c")
          .put("value", "ws"));
      ws.awaitType("ack", "p1");

      // forged: refused with 403 on every path, in any spelling, and in any record of a batch
      long before = KafkaTestClients.endOffsetSum(stamped, 1);
      Http.Response forged = Http.postJson(url, new JsonObject().put("value", "x")
          .put("headers", new JsonObject().put(STAMP, "admin")), bearer("mallory"));
      assertEquals(403, forged.status(), forged.body());
      assertTrue(forged.body().contains(STAMP), forged.body());
      assertEquals(403, Http.postJson(url, new JsonObject().put("records", new JsonArray()
          .add(new JsonObject().put("value", "fine"))
          .add(new JsonObject().put("value", "x").put("headers", new JsonObject().put("Tidegate-Subject", "admin")))),
          bearer("mallory")).status(), "one forged record refuses the whole batch");
      ws.send(new JsonObject().put("type", "publish").put("id", "p2").put("topic", stamped).put("value", "x")
          .put("headers", new JsonObject().put(STAMP, "admin")));
      assertEquals(403, ws.awaitType("error", "p2").getInteger("status"));
      assertEquals(before, KafkaTestClients.endOffsetSum(stamped, 1), "no forged record reached Kafka");
    }

    List<ConsumerRecord<byte[], byte[]>> records = KafkaTestClients.readAll(stamped, 3);
    assertEquals(3, records.size());
    Map<String, Map<String, String>> byKey = new HashMap<>();
    records.forEach(r -> byKey.put(new String(r.key(), StandardCharsets.UTF_8), headers(r)));
    assertEquals(Map.of("app", "web", STAMP, "sam"), byKey.get("a"), "HTTP JSON: the client's headers and the stamp");
    assertEquals(Map.of(STAMP, "sam"), byKey.get("b"), "HTTP raw");
    assertEquals(Map.of(STAMP, "tess"), byKey.get("c"), "WebSocket");
  }
}
