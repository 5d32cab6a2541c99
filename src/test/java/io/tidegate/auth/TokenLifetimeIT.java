package io.tidegate.auth;

import static io.tidegate.testing.Jwts.claims;
import static io.tidegate.testing.Jwts.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A token's life on long-lived connections, with tokens signed in the test that expire in seconds (the gateway
 * runs with no clock skew and a 2 s handshake window so that nothing waits 30 s): the WebSocket {@code auth} frame,
 * replacing a token on an open socket, and expiry on WebSockets (last 401 frame with offsets, close 1008) and SSE
 * streams (an error event after the last record's id), each resumed with a new token losing nothing.
 */
@GatewayIT
class TokenLifetimeIT {
  private static final String SECRET = "a-token-lifetime-test-secret-of-32+bytes";
  private static TestGateway gw;
  private static Vertx vertx;
  private static KafkaProducer<String, String> producer;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt").put("handshakeSeconds", 2)
        .put("jwt", new JsonObject().put("secret", SECRET).put("clockSkewSeconds", 0))));
    vertx = Vertx.vertx();
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaBrokerExtension.bootstrapServers(),
        "linger.ms", 1), new StringSerializer(), new StringSerializer());
  }

  @AfterAll
  static void stop() {
    producer.close();
    gw.close();
    Awaits.result(vertx.close());
  }

  /** A token for {@code sub}, valid {@code seconds} from now, that may subscribe to {@code topics}. */
  private static String token(String sub, long seconds, String... topics) {
    return Jwts.hs256(SECRET, claims(sub, seconds).put("tidegate", new JsonObject()
        .put("subscribe", new JsonArray(List.of((Object[]) topics)))));
  }

  private static long exp(String token) {
    String payload = token.split("\\.")[1];
    return new JsonObject(new String(java.util.Base64.getUrlDecoder().decode(payload))).getLong("exp");
  }

  private static String topic(String prefix, int partitions) {
    String t = KafkaTestClients.uniqueTopic(prefix);
    KafkaTestClients.createTopic(t, partitions);
    return t;
  }

  private static void produce(String topic, int from, int to) {
    for (int n = from; n < to; n++) {
      producer.send(new ProducerRecord<>(topic, "k" + (n % 7), new JsonObject().put("n", n).encode()));
    }
    producer.flush();
  }

  private static JsonObject subscribe(String id, Object from, String... topics) {
    return new JsonObject().put("type", "subscribe").put("id", id).put("topics", new JsonArray(List.of((Object[]) topics)))
        .put("from", from);
  }

  private static JsonObject auth(String id, String token) {
    return new JsonObject().put("type", "auth").put("id", id).put("token", token);
  }

  private static List<JsonObject> errors(WsClient ws) {
    return ws.frames().stream().filter(f -> "error".equals(f.getString("type"))).toList();
  }

  @Test
  void aSocketOpenedWithoutATokenAuthenticatesWithAnAuthFrameAndThenSubscribes() {
    String topic = topic("lifetime.auth", 1);
    String token = token("alice", 300, topic);
    try (WsClient ws = WsClient.connect(vertx, gw)) {
      // pipelined: the subscribe right behind the auth frame is judged with the token the auth frame brings
      ws.send(auth("a1", token)).send(subscribe("s1", "earliest", topic));
      JsonObject authenticated = ws.awaitType("authenticated", "a1");
      assertEquals("alice", authenticated.getString("subject"));
      assertEquals(exp(token), authenticated.getLong("exp"), "exp is the token's, in epoch seconds");
      ws.awaitType("subscribed", "s1");
      produce(topic, 0, 3);
      ws.awaitRecords(3);
      assertEquals(List.of(), errors(ws), "no frame was refused");
      assertNull(ws.closeCode());
    }
  }

  @Test
  void framesRightBehindAnAuthFrameWaitForItsVerificationEvenWhenTheKeysAreFetchedFirst() {
    // a JWKS that answers slowly, so that verifying the first token takes a while (a fetch, off the socket's loop)
    java.security.KeyPair keys = Jwts.rsaKeys();
    var jwks = Awaits.result(vertx.createHttpServer().requestHandler(req -> vertx.setTimer(500, t -> req.response()
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("keys", new JsonArray().add(Jwts.jwk(keys, "k1"))).encode()))).listen(0, "127.0.0.1"));
    String topic = topic("lifetime.jwks", 1);
    try (TestGateway slow = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("jwksUrl", "http://127.0.0.1:" + jwks.actualPort() + "/jwks"))));
         WsClient ws = WsClient.connect(vertx, slow)) {
      String token = Jwts.rs256(keys.getPrivate(), "k1", claims("alice", 300).put("tidegate", new JsonObject()
          .put("subscribe", new JsonArray().add(topic))));
      ws.send(auth("a1", token)).send(subscribe("s1", "earliest", topic)).send(new JsonObject().put("type", "ping")
          .put("id", "x"));
      ws.awaitType("pong", "x");
      List<String> order = ws.frames().stream().map(f -> f.getString("type") + ":" + f.getString("id")).toList();
      assertEquals("authenticated:a1", order.get(0), "the auth frame is answered first: " + order);
      assertFalse(order.contains("error:s1"), "the subscribe was judged with the token before it: " + order);
      ws.awaitType("subscribed", "s1");
    } finally {
      Awaits.result(jwks.close());
    }
  }

  @Test
  void aSocketThatNeverAuthenticatesIsAnswered401AndClosedWith1008AfterTheWindow() {
    String topic = topic("lifetime.noauth", 1);
    long opened = System.currentTimeMillis();
    try (WsClient ws = WsClient.connect(vertx, gw)) {
      ws.send(subscribe("s1", "earliest", topic));
      assertEquals(401, ws.awaitType("error", "s1").getInteger("status"), "nothing but auth and ping before auth");
      ws.send(new JsonObject().put("type", "publish").put("id", "p1").put("topic", topic).put("value", 1));
      assertEquals(401, ws.awaitType("error", "p1").getInteger("status"));
      ws.send(new JsonObject().put("type", "ping").put("id", "x"));
      ws.awaitType("pong", "x");
      assertEquals(1008, ws.awaitClose(), "closed for policy once the handshake window passed");
      assertTrue(ws.closedAtMs() - opened >= 2000, "not before auth.handshakeSeconds: " + (ws.closedAtMs() - opened));
      List<JsonObject> frames = ws.frames();
      JsonObject last = frames.get(frames.size() - 1);
      assertEquals("error", last.getString("type"), "a last error frame before the close: " + frames);
      assertEquals(401, last.getInteger("status"));
      assertEquals(new JsonObject(), last.getJsonObject("offsets"), "nothing to resume");
    }
    assertEquals(0, KafkaTestClients.endOffsetSum(topic, 1), "the unauthenticated publish wrote nothing");
  }

  @Test
  void aBadAuthFrameEndsAnUnauthenticatedSocketButAnAuthenticatedOneKeepsItsToken() {
    String topic = topic("lifetime.bad", 1);
    try (WsClient ws = WsClient.connect(vertx, gw)) {
      ws.send(auth("a1", Jwts.hs256("another-secret-of-at-least-32-bytes!!!", claims("alice", 300))));
      JsonObject refused = ws.awaitType("error", "a1");
      assertEquals(401, refused.getInteger("status"));
      assertNotNull(refused.getJsonObject("offsets"));
      assertEquals(1008, ws.awaitClose(), "a socket that never authenticated ends at a bad token");
    }
    try (WsClient ws = WsClient.connect(vertx, gw, token("alice", 300, topic))) {
      ws.send(auth("a2", Jwts.hs256(SECRET, claims("alice", 300).put("exp", now() - 5))));
      assertEquals(401, ws.awaitType("error", "a2").getInteger("status"), "an expired replacement is refused");
      ws.send(auth("a3", token("mallory", 300, topic)));
      JsonObject other = ws.awaitType("error", "a3");
      assertEquals(403, other.getInteger("status"), "a token for another subject does not take over the socket");
      ws.send(auth("a4", "not-a-jwt"));
      assertEquals(401, ws.awaitType("error", "a4").getInteger("status"));
      ws.send(subscribe("s1", "earliest", topic));
      ws.awaitType("subscribed", "s1");
      ws.send(new JsonObject().put("type", "ping").put("id", "x"));
      ws.awaitType("pong", "x");
      assertNull(ws.closeCode(), "the socket keeps its first token and stays open");
    }
  }

  @Test
  void aReplacementBeforeExpiryKeepsTheSocketAliveAndRecordsFlowing() {
    String topic = topic("lifetime.replace", 1);
    String first = token("alice", 8, topic); // the replacement only has to be answered within these 8 s
    String second = token("alice", 300, topic);
    try (WsClient ws = WsClient.connect(vertx, gw, first)) {
      ws.send(auth("r1", second));
      assertEquals(exp(second), ws.awaitType("authenticated", "r1").getLong("exp"), "the new token's exp applies");
      ws.send(subscribe("s1", "earliest", topic));
      ws.awaitType("subscribed", "s1");
      produce(topic, 0, 2);
      ws.awaitRecords(2);
      long lapse = exp(first) * 1000;
      Awaits.until("the first token's exp has passed", Duration.ofSeconds(30),
          () -> System.currentTimeMillis() > lapse + 1500);
      produce(topic, 2, 4);
      ws.awaitRecords(4);
      assertNull(ws.closeCode(), "the socket outlives its first token");
      assertEquals(List.of(), errors(ws));
    }
  }

  @Test
  void aReplacementThatNoLongerCoversASubscriptionEndsItAndKeepsTheRest() {
    String kept = topic("lifetime.kept", 1);
    String lost = topic("lifetime.lost", 1);
    try (WsClient ws = WsClient.connect(vertx, gw, token("alice", 300, kept, lost))) {
      ws.send(subscribe("s1", "earliest", kept)).send(subscribe("s2", "earliest", lost));
      ws.awaitType("subscribed", "s1");
      ws.awaitType("subscribed", "s2");
      produce(lost, 0, 1);
      ws.awaitRecords(1);
      ws.send(auth("r1", token("alice", 300, kept)));
      JsonObject ended = ws.awaitType("unsubscribed", "r1");
      assertEquals(new JsonArray().add(lost), ended.getJsonArray("topics"));
      assertEquals(403, ended.getInteger("status"));
      assertEquals(1L, ended.getJsonObject("offsets").getJsonObject(lost).getLong("0"), "where to resume, if allowed again");
      ws.awaitType("authenticated", "r1");
      produce(lost, 1, 2);
      produce(kept, 0, 1);
      ws.awaitRecords(2);
      Awaits.stays("no record of the topic the new token does not allow", Duration.ofMillis(500),
          () -> ws.records().stream().filter(r -> r.getString("topic").equals(lost)).count() == 1);
      ws.send(subscribe("s3", "earliest", lost));
      assertEquals(403, ws.awaitType("error", "s3").getInteger("status"));
    }
  }

  @Test
  void aReplacementThatForcesAnotherRowFilterEndsTheSubscriptionsItRefilters() {
    String inbox = topic("lifetime.inbox", 1);
    String news = topic("lifetime.news", 1);
    java.util.function.Function<String, String> withFilter = key -> Jwts.hs256(SECRET, claims("alice", 300)
        .put("tidegate", new JsonObject().put("subscribe", new JsonArray().add(inbox).add(news))
            .put("filters", new JsonObject().put(inbox, new JsonObject().put("key", key)))));
    try (WsClient ws = WsClient.connect(vertx, gw, withFilter.apply("k1"))) {
      ws.send(subscribe("s1", "earliest", inbox)).send(subscribe("s2", "earliest", news));
      ws.awaitType("subscribed", "s1");
      ws.awaitType("subscribed", "s2");
      ws.send(auth("r1", withFilter.apply("k2"))); // same subject, but another forced filter on the inbox
      JsonObject ended = ws.awaitType("unsubscribed", "r1");
      assertEquals(new JsonArray().add(inbox), ended.getJsonArray("topics"), "the news subscription is unchanged");
      ws.awaitType("authenticated", "r1");
      produce(inbox, 0, 14); // keys k0..k6: two records keyed k1, two keyed k2
      produce(news, 0, 1);
      ws.awaitRecords(1);
      Awaits.stays("no inbox record under the old filter", Duration.ofMillis(500),
          () -> ws.records().stream().noneMatch(r -> r.getString("topic").equals(inbox)));
      ws.send(subscribe("s3", "earliest", inbox)); // subscribing again applies the new token's filter
      ws.awaitType("subscribed", "s3");
      Awaits.until("the inbox records keyed k2", Duration.ofSeconds(30),
          () -> ws.records().stream().filter(r -> r.getString("topic").equals(inbox)).count() == 2);
      assertTrue(ws.records().stream().filter(r -> r.getString("topic").equals(inbox))
          .allMatch(r -> "k2".equals(r.getString("key"))));
    }
  }

  @Test
  void aReplacementWithoutTheGroupPermissionLeavesTheGroup() {
    String topic = topic("lifetime.group", 1);
    String group = "team-" + topic;
    String member = Jwts.hs256(SECRET, claims("alice", 300).put("tidegate", new JsonObject()
        .put("subscribe", new JsonArray().add(topic)).put("groups", new JsonArray().add("team-*"))));
    try (WsClient ws = WsClient.connect(vertx, gw, member)) {
      ws.send(subscribe("j1", "earliest", topic).put("group", group));
      ws.awaitType("subscribed", "j1");
      produce(topic, 0, 1);
      ws.awaitRecords(1);
      ws.send(auth("r1", token("alice", 300, topic))); // may still read the topic, but no longer in groups
      JsonObject ended = ws.awaitType("unsubscribed", "r1");
      assertEquals(new JsonArray().add(topic), ended.getJsonArray("topics"), "the group membership ended");
      ws.awaitType("authenticated", "r1");
      ws.send(subscribe("s1", "earliest", topic)); // the topic is free again on this socket, and still allowed
      ws.awaitType("subscribed", "s1");
      ws.awaitRecords(2);
      assertEquals(List.of(), errors(ws));
    }
  }

  @Test
  void anExpiredSocketGetsItsOffsetsAndClosesWith1008AndAReconnectWithThemLosesNothing() throws Exception {
    String topic = topic("lifetime.expiry", 3);
    int total = 2000;
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread publisher = new Thread(() -> {
      try {
        for (int n = 0; n < total; n += 20) {
          produce(topic, n, n + 20);
          Thread.sleep(80); // a steady flow, still going when the token expires
        }
      } catch (Throwable e) {
        failed.set(e);
      }
    }, "publisher");
    String shortLived = token("alice", 6, topic);
    List<JsonObject> before;
    JsonObject offsets;
    try (WsClient ws = WsClient.connect(vertx, gw, shortLived)) {
      ws.send(subscribe("s1", "earliest", topic));
      ws.awaitType("subscribed", "s1");
      publisher.start();
      assertEquals(1008, ws.awaitClose(), "closed for policy when the token expired");
      assertTrue(ws.closedAtMs() >= exp(shortLived) * 1000, "not before exp (skew 0)");
      List<JsonObject> frames = ws.frames();
      JsonObject last = frames.get(frames.size() - 1);
      assertEquals("error", last.getString("type"), "the last frame is the error: " + last);
      assertEquals(401, last.getInteger("status"));
      assertEquals("the token expired", last.getString("detail"));
      offsets = last.getJsonObject("offsets").getJsonObject(topic);
      assertNotNull(offsets, "resume offsets for the subscribed topic: " + last);
      before = ws.records();
    }
    assertFalse(before.isEmpty(), "records arrived before the expiry");
    Map<Integer, Long> next = new HashMap<>();
    before.forEach(r -> next.merge(r.getInteger("partition"), r.getLong("offset") + 1, Math::max));
    next.forEach((p, o) -> assertEquals(o, offsets.getLong(String.valueOf(p)), "partition " + p + ": the offset after "
        + "the last record received"));

    try (WsClient again = WsClient.connect(vertx, gw, token("alice", 300, topic))) {
      again.send(subscribe("s2", new JsonObject().put("offsets", new JsonObject().put(topic, offsets)), topic));
      again.awaitType("subscribed", "s2");
      publisher.join(120_000);
      if (failed.get() != null) {
        throw new AssertionError("producing failed", failed.get());
      }
      assertTrue(before.size() < total, "the token expired while records were still being produced");
      again.awaitRecords(total - before.size());
      assertExactlyOnce(total, before, again.records());
    }
  }

  @Test
  void anSseStreamEndsWithAnErrorEventAtExpiryAndResumesWithANewTokenAndLastEventId() throws Exception {
    String topic = topic("lifetime.sse", 2);
    int total = 1000;
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread publisher = new Thread(() -> {
      try {
        for (int n = 0; n < total; n += 10) {
          produce(topic, n, n + 10);
          Thread.sleep(80);
        }
      } catch (Throwable e) {
        failed.set(e);
      }
    }, "publisher");
    String shortLived = token("alice", 5, topic);
    List<JsonObject> before = new ArrayList<>();
    String lastId = null;
    try (Http.Streamed sse = Http.stream(gw.url("/events?topic=" + topic + "&from=earliest&access_token=" + shortLived))) {
      assertEquals(200, sse.status());
      publisher.start();
      Awaits.until("the stream ends at the token's expiry", Duration.ofSeconds(60), sse::ended);
      JsonObject error = null;
      for (List<String> event : events(sse.lines())) {
        assertNull(error, "nothing after the error event");
        String name = field(event, "event: ");
        String data = field(event, "data: ");
        if ("record".equals(name)) {
          before.add(new JsonObject(data));
          lastId = field(event, "id: ");
        } else if ("error".equals(name)) {
          error = new JsonObject(data);
          assertNull(field(event, "id: "), "the error event leaves the last event id at the last record's");
        }
      }
      assertNotNull(error, "an error event ends the stream");
      assertEquals(401, error.getInteger("status"));
      assertEquals("the token expired", error.getString("detail"));
    }
    assertFalse(before.isEmpty(), "records arrived before the expiry");
    try (SseClient again = SseClient.open(gw.url("/events?topic=" + topic + "&access_token=" + token("alice", 300, topic)),
        lastId)) {
      publisher.join(120_000);
      if (failed.get() != null) {
        throw new AssertionError("producing failed", failed.get());
      }
      assertTrue(before.size() < total, "the token expired while records were still being produced");
      again.awaitRecords(total - before.size());
      assertExactlyOnce(total, before, again.records());
    }
  }

  /** The stream's events, each as its lines (comments and the retry line left out). */
  private static List<List<String>> events(List<String> lines) {
    List<List<String>> out = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String line : lines) {
      if (line.isEmpty()) {
        if (current.stream().anyMatch(l -> l.startsWith("event: "))) {
          out.add(current);
        }
        current = new ArrayList<>();
      } else {
        current.add(line);
      }
    }
    return out;
  }

  private static String field(List<String> event, String prefix) {
    return event.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
        .orElse(null);
  }

  private static void assertExactlyOnce(int total, List<JsonObject> before, List<JsonObject> after) {
    Set<Integer> seen = new HashSet<>();
    for (JsonObject r : before) {
      assertTrue(seen.add(r.getJsonObject("value").getInteger("n")), "no duplicate before the expiry: " + r);
    }
    for (JsonObject r : after) {
      assertTrue(seen.add(r.getJsonObject("value").getInteger("n")), "no record twice across the reconnect: " + r);
    }
    assertEquals(total, seen.size(), "every record, across the expiry and the reconnect");
  }
}
