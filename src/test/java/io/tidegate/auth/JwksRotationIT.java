package io.tidegate.auth;

import static io.tidegate.testing.Jwts.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose keys come from a JWKS served by a Vert.x server in the test: the identity provider rotates
 * from one RSA key to another, and the gateway accepts tokens of the new key on HTTP and WebSocket without a
 * restart, refuses tokens of the key that was withdrawn, and keeps working while the JWKS server is down.
 */
@GatewayIT
class JwksRotationIT {
  static Vertx vertx;
  static HttpServer jwks;
  static final AtomicReference<JsonArray> published = new AtomicReference<>();
  static final AtomicInteger fetches = new AtomicInteger();
  static final AtomicReference<Integer> status = new AtomicReference<>(200);
  static TestGateway gw;
  static String topic;
  static KeyPair first;
  static KeyPair second;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    first = Jwts.rsaKeys();
    second = Jwts.rsaKeys();
    published.set(new JsonArray().add(Jwts.jwk(first, "k1")));
    jwks = Awaits.result(vertx.createHttpServer().requestHandler(req -> {
      fetches.incrementAndGet();
      req.response().setStatusCode(status.get()).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("keys", published.get()).encode());
    }).listen(0, "127.0.0.1"));
    topic = KafkaTestClients.uniqueTopic("rotation");
    KafkaTestClients.createTopic(topic, 1);
    gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("jwksUrl", "http://127.0.0.1:" + jwks.actualPort() + "/jwks")
            .put("jwksMinIntervalSeconds", 0))));
  }

  @AfterAll
  static void stop() {
    gw.close();
    Awaits.result(jwks.close());
    Awaits.result(vertx.close());
  }

  private static String token(KeyPair keys, String kid, String sub) {
    return Jwts.rs256(keys.getPrivate(), kid, claims(sub, 300).put("tidegate", new JsonObject()
        .put("publish", new JsonArray().add(topic)).put("subscribe", new JsonArray().add(topic))));
  }

  private static int publish(String token) {
    return Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("value", 1),
        "Authorization", "Bearer " + token).status();
  }

  /** Subscribes over a WebSocket with the token and sees a record published with it arrive. */
  private static void subscribeAndReceive(String token) {
    try (WsClient ws = WsClient.connect(vertx, gw, token)) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic)));
      ws.awaitType("subscribed", "s");
      assertEquals(200, publish(token));
      ws.awaitRecords(1);
    }
  }

  @Test
  void keysRotateWithoutARestartOnHttpAndWebSocket() {
    String old = token(first, "k1", "alice");
    assertEquals(200, publish(old));
    subscribeAndReceive(old);
    int before = fetches.get();

    // the provider publishes the second key and withdraws the first
    published.set(new JsonArray().add(Jwts.jwk(second, "k2")));
    String fresh = token(second, "k2", "bob");
    assertEquals(200, publish(fresh), "a token of the new key is accepted: its unknown kid fetched the keys again");
    assertEquals(before + 1, fetches.get());
    subscribeAndReceive(token(second, "k2", "carol"));

    // another rotation, first seen by a WebSocket handshake: the upgrade waits for the keys
    KeyPair third = Jwts.rsaKeys();
    published.set(new JsonArray().add(Jwts.jwk(second, "k2")).add(Jwts.jwk(third, "k3")));
    subscribeAndReceive(token(third, "k3", "heidi"));
    assertEquals(before + 2, fetches.get());

    // a new token of the withdrawn key: its kid is no longer published, so it is refused
    assertEquals(401, publish(token(first, "k1", "dave")));
    assertThrows(RuntimeException.class, () -> WsClient.connect(vertx, gw, token(first, "k1", "erin")).close(),
        "the handshake of a token signed by the withdrawn key is refused");

    // the JWKS server fails: keys already fetched keep working, made-up key ids are refused
    status.set(503);
    try {
      assertEquals(200, publish(token(second, "k2", "frank")));
      assertEquals(401, publish(token(Jwts.rsaKeys(), "k9", "mallory")));
      assertEquals(200, publish(token(second, "k2", "grace")), "a failed fetch does not drop the keys in use");
    } finally {
      status.set(200);
    }
  }
}
