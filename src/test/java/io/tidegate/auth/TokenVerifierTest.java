package io.tidegate.auth;

import io.tidegate.error.ApiError;

import static io.tidegate.testing.Jwts.claims;
import static io.tidegate.testing.Jwts.now;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Jwts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every kind of bad token is refused with a reason; good ones carry their permissions. Tokens are signed here. */
class TokenVerifierTest {
  private static final String SECRET = "a-test-secret-of-at-least-32-bytes-long!";
  private static final RoleMapper NO_ROLES = new RoleMapper(Map.of());
  private static Vertx vertx;
  private static KeyPair rsa;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    rsa = Jwts.rsaKeys();
  }

  @AfterAll
  static void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static TokenVerifier hmac(String issuer, String audience) {
    return new TokenVerifier(vertx, SECRET, List.of(), null, issuer, audience, NO_ROLES, 10_000);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String refusal(TokenVerifier v, String token) {
    try {
      await(v.verify(token));
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      assertEquals(401, assertInstanceOf(ApiError.class, cause, "a refusal is a 401, not " + cause).status());
      return cause.getMessage();
    }
    throw new AssertionError("the token was accepted: " + token);
  }

  @Test
  void aValidHmacTokenCarriesItsSubjectExpiryAndClaimedPermissions() throws Exception {
    JsonObject c = claims("alice", 300).put("tidegate", new JsonObject().put("subscribe", new JsonArray().add("orders.*")));
    Identity id = await(hmac(null, null).verify(Jwts.hs256(SECRET, c)));
    assertEquals("alice", id.subject());
    assertEquals(c.getLong("exp") * 1000, id.expiresAtMs());
    assertTrue(id.permissions().maySubscribe("orders.eu"));
    assertTrue(!id.permissions().mayPublish("orders.eu"), "only what the claim grants");
  }

  @Test
  void badTokensAreRefused() {
    TokenVerifier v = hmac("https://issuer.example", "tidegate");
    JsonObject good = claims("alice", 300).put("iss", "https://issuer.example").put("aud", "tidegate");
    assertEquals("the token is not a JWT", refusal(v, "not-a-token"));
    assertEquals("the token is not a JWT", refusal(v, "a.b.c"));
    assertTrue(refusal(v, Jwts.hs256("another-secret-of-at-least-32-bytes!!", good)).contains("signature"));
    assertTrue(refusal(v, Jwts.hs256(SECRET, good.copy().put("exp", now() - 60))).contains("expired"));
    assertTrue(refusal(v, Jwts.hs256(SECRET, good.copy().put("nbf", now() + 120))).contains("not valid yet"));
    assertTrue(refusal(v, Jwts.hs256(SECRET, good.copy().put("iss", "https://evil.example"))).contains("issuer"));
    assertTrue(refusal(v, Jwts.hs256(SECRET, good.copy().put("aud", "someone-else"))).contains("audience"));
    assertTrue(refusal(v, Jwts.none(good)).contains("accepted algorithm"), "alg none is never accepted");
  }

  @Test
  void clockSkewOfThirtySecondsIsTolerated() throws Exception {
    TokenVerifier v = hmac(null, null);
    await(v.verify(Jwts.hs256(SECRET, claims("alice", 300).put("exp", now() - 10))));
    await(v.verify(Jwts.hs256(SECRET, claims("alice", 300).put("nbf", now() + 10))));
    assertTrue(refusal(v, Jwts.hs256(SECRET, claims("alice", 300).put("exp", now() - 45))).contains("expired"));
  }

  @Test
  void theClockSkewIsConfigurable() throws Exception {
    TokenVerifier none = new TokenVerifier(vertx, SECRET, List.of(), null, null, null, NO_ROLES, 10_000, 0);
    assertTrue(refusal(none, Jwts.hs256(SECRET, claims("alice", 300).put("exp", now() - 1))).contains("expired"),
        "with no skew a token is refused from its exp on");
    assertTrue(refusal(none, Jwts.hs256(SECRET, claims("alice", 300).put("nbf", now() + 2))).contains("not valid yet"));
    TokenVerifier wide = new TokenVerifier(vertx, SECRET, List.of(), null, null, null, NO_ROLES, 10_000, 120);
    await(wide.verify(Jwts.hs256(SECRET, claims("alice", 300).put("exp", now() - 60))));
  }

  @Test
  void anRsaPublicKeyIsNeverUsedAsAnHmacSecret() throws Exception {
    String pem = Jwts.publicPem(rsa);
    TokenVerifier v = new TokenVerifier(vertx, null, List.of(new TokenVerifier.PublicKey("RS256", pem)), null, null,
        null, NO_ROLES, 10_000);
    assertEquals("alice", await(v.verify(Jwts.rs256(rsa.getPrivate(), null, claims("alice", 300)))).subject());
    String confused = Jwts.hmac(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims("mallory", 300),
        pem.getBytes(StandardCharsets.US_ASCII));
    assertTrue(refusal(v, confused).contains("algorithm"));
  }

  @Test
  void jwksKeysRotateWithoutARestartAndUnknownKeyIdsCannotCauseAFetchStorm() throws Exception {
    AtomicReference<JsonArray> published = new AtomicReference<>(new JsonArray().add(Jwts.jwk(rsa, "k1")));
    AtomicInteger served = new AtomicInteger();
    HttpServer server = await(vertx.createHttpServer().requestHandler(req -> {
      served.incrementAndGet();
      req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("keys", published.get()).encode());
    }).listen(0, "127.0.0.1"));
    try {
      TokenVerifier v = new TokenVerifier(vertx, null, List.of(), "http://127.0.0.1:" + server.actualPort() + "/jwks",
          null, null, NO_ROLES, 1000);
      assertEquals("alice", await(v.verify(Jwts.rs256(rsa.getPrivate(), "k1", claims("alice", 300)))).subject());
      assertEquals(1, served.get(), "keys are fetched once and kept");
      await(v.verify(Jwts.rs256(rsa.getPrivate(), "k1", claims("bob", 300))));
      assertEquals(1, served.get());

      // the issuer rotates to a new key: the first token naming it makes the gateway fetch the keys again
      KeyPair next = Jwts.rsaKeys();
      published.set(new JsonArray().add(Jwts.jwk(rsa, "k1")).add(Jwts.jwk(next, "k2")));
      Thread.sleep(1100); // past the minimum interval between fetches (a test thread, not an event loop)
      assertEquals("carol", await(v.verify(Jwts.rs256(next.getPrivate(), "k2", claims("carol", 300)))).subject());
      assertEquals(2, served.get());

      // a flood of made-up key ids: at most one more fetch, however many tokens
      KeyPair forged = Jwts.rsaKeys();
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        tokens.add(Jwts.rs256(forged.getPrivate(), "made-up-" + i, claims("mallory", 300)));
      }
      List<String> reasons = new ArrayList<>();
      tokens.forEach(t -> reasons.add(refusal(v, t)));
      assertTrue(served.get() <= 3, "unknown key ids fetched the keys " + served.get() + " times");
      assertTrue(reasons.stream().allMatch(r -> r.contains("key") || r.contains("signature")), reasons.toString());
    } finally {
      await(server.close());
    }
  }
}
