package io.tidegate.auth;

import static io.tidegate.testing.Jwts.claims;
import static io.tidegate.testing.Jwts.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code auth.mode jwt} over HTTP, SSE and WebSocket handshakes, with tokens signed in the test: every bad token
 * is a 401 on every route, a good token without the permission a 403, and no denial changes anything in Kafka.
 */
@GatewayIT
class HttpAuthIT {
  private static final String SECRET = "an-integration-test-secret-of-32-bytes+";
  private static final String ISSUER = "https://id.example";
  private static final String AUDIENCE = "tidegate";
  static TestGateway gw;
  static String orders;
  static String secret;
  static Vertx vertx;

  @BeforeAll
  static void start() {
    orders = KafkaTestClients.uniqueTopic("orders.auth");
    secret = KafkaTestClients.uniqueTopic("payroll");
    KafkaTestClients.createTopic(orders, 2);
    KafkaTestClients.createTopic(secret, 1);
    gw = TestGateway.start(new JsonObject()
        .put("http", new JsonObject().put("allowedOrigins", new JsonArray().add("https://*.allowed.example")))
        .put("auth", new JsonObject().put("mode", "jwt")
            .put("jwt", new JsonObject().put("secret", SECRET).put("issuer", ISSUER).put("audience", AUDIENCE))
            .put("roles", new JsonObject().put("reader", new JsonObject().put("subscribe", new JsonArray().add("orders.*"))))));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    gw.close();
    Awaits.result(vertx.close());
  }

  private static JsonObject good(String sub) {
    return claims(sub, 300).put("iss", ISSUER).put("aud", AUDIENCE);
  }

  private static String token(JsonObject claims) {
    return Jwts.hs256(SECRET, claims);
  }

  private static String bearer(String token) {
    return "Bearer " + token;
  }

  /** Every route, called with the given Authorization header value (null: none). */
  private Map<String, Http.Response> everyRoute(String authorization) {
    String[] h = authorization == null ? new String[0] : new String[] {"Authorization", authorization};
    Map<String, Http.Response> out = new LinkedHashMap<>();
    out.put("publish", Http.postJson(gw.url("/topics/" + orders + "/records"), new JsonObject().put("value", 1), h));
    out.put("publish raw", Http.post(gw.url("/topics/" + orders + "?key=k"), "text/plain", "hi", h));
    out.put("history", Http.get(gw.url("/topics/" + orders + "/records?from=earliest"), h));
    out.put("describe", Http.get(gw.url("/topics/" + orders), h));
    out.put("list", Http.get(gw.url("/topics"), h));
    out.put("create", Http.postJson(gw.url("/topics"), new JsonObject().put("name", orders + ".new"), h));
    out.put("delete", Http.delete(gw.url("/topics/" + secret), h));
    out.put("groups", Http.get(gw.url("/groups"), h));
    out.put("me", Http.get(gw.url("/me"), h));
    out.put("stats", Http.get(gw.url("/stats"), h));
    try (Http.Streamed sse = Http.stream(gw.url("/events?topic=" + orders), h)) {
      out.put("sse", new Http.Response(sse.status(), String.join("\n", sse.lines()), io.vertx.core.MultiMap.caseInsensitiveMultiMap()
          .addAll(java.util.Map.of("content-type", String.valueOf(sse.header("content-type")),
              "www-authenticate", String.valueOf(sse.header("www-authenticate"))))));
    }
    return out;
  }

  private static Map<String, Long> kafkaState() {
    Map<String, Long> state = new LinkedHashMap<>();
    state.put(orders, KafkaTestClients.endOffsetSum(orders, 2));
    state.put(secret, KafkaTestClients.endOffsetSum(secret, 1));
    return state;
  }

  private static Set<String> topicNames() throws Exception {
    try (var admin = KafkaTestClients.admin()) {
      return new TreeSet<>(admin.listTopics().names().get());
    }
  }

  @Test
  void everyBadTokenIsRefusedWith401OnEveryRouteAndKafkaIsUnchanged() throws Exception {
    Map<String, Long> before = kafkaState();
    Set<String> topicsBefore = topicNames();
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("no token", null);
    bad.put("malformed", bearer("not.a.jwt"));
    bad.put("badly signed", bearer(Jwts.hs256("some-other-secret-of-at-least-32-bytes", good("alice"))));
    bad.put("expired", bearer(token(good("alice").put("exp", now() - 120))));
    bad.put("not yet valid", bearer(token(good("alice").put("nbf", now() + 600))));
    bad.put("wrong issuer", bearer(token(good("alice").put("iss", "https://evil.example"))));
    bad.put("wrong audience", bearer(token(good("alice").put("aud", "someone-else"))));
    bad.put("alg none", bearer(Jwts.none(good("alice").put("tidegate", new JsonObject().put("admin", true)))));
    for (var b : bad.entrySet()) {
      everyRoute(b.getValue()).forEach((route, r) -> {
        assertEquals(401, r.status(), b.getKey() + " token on " + route + ": " + r.body());
        assertEquals("Bearer", r.header("WWW-Authenticate"), route);
        assertTrue(r.contentType().startsWith("application/problem+json"), route);
      });
      // a WebSocket with no token at all may authenticate with an auth frame after the handshake (TokenLifetimeIT)
      assertEquals(b.getValue() == null ? 101 : 401, wsHandshake(b.getValue()), b.getKey() + " token on the WebSocket handshake");
    }
    assertEquals(before, kafkaState(), "no denial may write to Kafka");
    assertEquals(topicsBefore, topicNames(), "no denial may create or delete a topic");
  }

  @Test
  void aValidTokenWithoutThePermissionGets403AndKafkaIsUnchanged() throws Exception {
    Map<String, Long> before = kafkaState();
    Set<String> topicsBefore = topicNames();
    String reader = bearer(token(good("rita").put("roles", new JsonArray().add("reader"))));
    Map<String, Http.Response> r = everyRoute(reader);
    for (String denied : List.of("publish", "publish raw", "create", "delete", "groups")) {
      assertEquals(403, r.get(denied).status(), denied + ": " + r.get(denied).body());
    }
    assertEquals(200, r.get("history").status(), r.get("history").body());
    assertEquals(200, r.get("describe").status());
    assertEquals(200, r.get("sse").status(), "the reader may stream orders.*");
    assertEquals(403, Http.get(gw.url("/topics/" + secret + "/records?from=earliest"), "Authorization", reader).status());
    assertEquals(403, Http.get(gw.url("/topics/" + secret), "Authorization", reader).status());
    assertEquals(Http.get(gw.url("/topics/no-such-topic-anywhere"), "Authorization", reader).status(),
        Http.get(gw.url("/topics/payroll-no-such"), "Authorization", reader).status(),
        "a denial reads the same whether or not the topic exists");
    assertEquals(403, Http.get(gw.url("/topics/never-existed"), "Authorization", reader).status());

    JsonArray listed = r.get("list").jsonArray();
    assertTrue(listed.stream().map(t -> ((JsonObject) t).getString("name")).allMatch(n -> n.startsWith("orders.")),
        "GET /topics lists only what the caller may use: " + listed);
    JsonObject me = r.get("me").json();
    assertEquals("rita", me.getString("subject"));
    assertEquals(new JsonArray().add("orders.*"), me.getJsonObject("permissions").getJsonArray("subscribe"));
    assertEquals(before, kafkaState());
    assertEquals(topicsBefore, topicNames());
  }

  @Test
  void theTokenClaimGrantsPublishingAndTheTokenMayComeAsAQueryParameter() {
    String writer = token(good("wes").put("tidegate", new JsonObject().put("publish", new JsonArray().add(orders))));
    long before = KafkaTestClients.endOffsetSum(orders, 2);
    assertEquals(200, Http.postJson(gw.url("/topics/" + orders + "/records"), new JsonObject().put("value", 1),
        "Authorization", bearer(writer)).status());
    assertEquals(200, Http.postJson(gw.url("/topics/" + orders + "/records?access_token=" + writer),
        new JsonObject().put("value", 2)).status());
    assertEquals(before + 2, KafkaTestClients.endOffsetSum(orders, 2));
    assertEquals(101, wsHandshake(bearer(writer)), "a valid token opens the WebSocket");
  }

  @Test
  void foreignOriginsAreRefusedAndAllowedOnesGetCors() {
    String admin = bearer(token(good("ada").put("tidegate", new JsonObject().put("admin", true)
        .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*")))));
    long before = KafkaTestClients.endOffsetSum(orders, 2);
    Http.Response evil = Http.post(gw.url("/topics/" + orders + "?key=k"), "text/plain", "csrf",
        "Origin", "https://evil.example", "Authorization", admin);
    assertEquals(403, evil.status(), "a text/plain POST from another site is refused: " + evil.body());
    try (Http.Streamed sse = Http.stream(gw.url("/events?topic=" + orders), "Origin", "https://evil.example",
        "Authorization", admin)) {
      assertEquals(403, sse.status(), "an event stream for another site's page is refused");
    }
    assertEquals(before, KafkaTestClients.endOffsetSum(orders, 2));

    Http.Response ok = Http.post(gw.url("/topics/" + orders + "?key=k"), "text/plain", "fine",
        "Origin", "https://app.allowed.example", "Authorization", admin);
    assertEquals(200, ok.status(), ok.body());
    assertEquals("https://app.allowed.example", ok.header("Access-Control-Allow-Origin"));
    Http.Response preflight = Http.method(gw.url("/topics/" + orders + "/records"), "OPTIONS",
        "Origin", "https://app.allowed.example", "Access-Control-Request-Method", "POST",
        "Access-Control-Request-Headers", "authorization,content-type");
    assertTrue(preflight.status() == 200 || preflight.status() == 204, "preflight answered: " + preflight.status());
    assertEquals("https://app.allowed.example", preflight.header("Access-Control-Allow-Origin"));
    assertNull(Http.get(gw.url("/health/ready"), "Origin", "https://evil.example").header("Access-Control-Allow-Origin"));
    assertFalse(Http.get(gw.url("/health/ready"), "Origin", "https://evil.example").status() == 403,
        "reading health from another origin is harmless");
  }

  @Test
  void onAWebSocketEachOperationIsCheckedAndADenialLeavesTheSocketOpen() {
    String token = token(good("rita").put("roles", new JsonArray().add("reader"))
        .put("tidegate", new JsonObject().put("groups", new JsonArray().add("billing-*"))));
    long before = KafkaTestClients.endOffsetSum(orders, 2);
    try (WsClient ws = WsClient.connect(vertx, gw, token)) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s1").put("topics", new JsonArray().add(secret)));
      assertEquals(403, ws.awaitType("error", "s1").getInteger("status"), "payroll is not the reader's");
      ws.send(new JsonObject().put("type", "publish").put("id", "p1").put("topic", orders).put("value", 1));
      assertEquals(403, ws.awaitType("error", "p1").getInteger("status"), "the reader may not publish");
      ws.send(new JsonObject().put("type", "subscribe").put("id", "g1").put("topics", new JsonArray().add(orders))
          .put("group", "payroll-team"));
      assertEquals(403, ws.awaitType("error", "g1").getInteger("status"), "groups outside billing-* are refused");
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s2").put("topics", new JsonArray().add(orders)));
      ws.awaitType("subscribed", "s2");
    }
    assertEquals(before, KafkaTestClients.endOffsetSum(orders, 2));
    try (Http.Streamed sse = Http.stream(gw.url("/events?topic=" + secret + "&access_token=" + token))) {
      assertEquals(403, sse.status(), "an SSE stream of a topic the reader may not read");
    }
  }

  /** The handshake's status: 101 when upgraded, else what the gateway answered. */
  private int wsHandshake(String authorization) {
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gw.gateway().port())
        .setURI("/ws");
    if (authorization != null) {
      o.addHeader("Authorization", authorization);
    }
    try {
      var ws = Awaits.result(vertx.createWebSocketClient().connect(o));
      Awaits.result(ws.close());
      return 101;
    } catch (RuntimeException e) {
      Throwable c = e;
      while (c != null && !(c instanceof UpgradeRejectedException)) {
        c = c.getCause();
      }
      if (c == null) {
        throw e;
      }
      return ((UpgradeRejectedException) c).getStatus();
    }
  }
}
