package io.tidegate.webhook;

import static io.tidegate.testing.Jwts.claims;
import static io.tidegate.testing.ProblemAssert.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** In {@code auth.mode jwt} the webhook API is for admins only: 401 without a token, 403 without admin. */
@GatewayIT
class WebhookAuthIT {
  private static final String SECRET = "a-webhook-test-secret-of-32-bytes-long";
  static TestGateway gw;
  static String orders;

  @BeforeAll
  static void start() {
    orders = KafkaTestClients.uniqueTopic("orders.hookauth");
    KafkaTestClients.createTopic(orders, 1);
    gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", SECRET))));
    Awaits.until("the webhook definitions are read",
        () -> Http.get(gw.url("/webhooks"), "Authorization", admin()).status() == 200);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static String admin() {
    return "Bearer " + Jwts.hs256(SECRET, claims("ada", 300).put("tidegate", new JsonObject().put("admin", true)));
  }

  private static String user() {
    // may do everything with topics, but is no admin
    return "Bearer " + Jwts.hs256(SECRET, claims("bob", 300).put("tidegate", new JsonObject()
        .put("publish", new JsonArray().add("*")).put("subscribe", new JsonArray().add("*"))));
  }

  @Test
  void onlyAdminsMayDefineListReadRedriveAndDeleteWebhooks() {
    String name = KafkaTestClients.uniqueTopic("authhook");
    JsonObject def = new JsonObject().put("name", name).put("topics", new JsonArray().add(orders))
        .put("url", "http://127.0.0.1:9/hook");
    assertProblem(Http.postJson(gw.url("/webhooks"), def), 401);
    assertProblem(Http.postJson(gw.url("/webhooks"), def, "Authorization", user()), 403);
    assertProblem(Http.get(gw.url("/webhooks"), "Authorization", user()), 403);
    assertProblem(Http.get(gw.url("/webhooks/" + name), "Authorization", user()), 403);

    assertEquals(201, Http.postJson(gw.url("/webhooks"), def, "Authorization", admin()).status());
    assertProblem(Http.get(gw.url("/webhooks"), "Authorization", user()), 403);
    assertProblem(Http.get(gw.url("/webhooks/" + name + "/status"), "Authorization", user()), 403);
    assertProblem(Http.delete(gw.url("/webhooks/" + name), "Authorization", user()), 403);
    assertProblem(Http.delete(gw.url("/webhooks/" + name)), 401);
    assertProblem(Http.postJson(gw.url("/webhooks/" + name + "/redrive"), new JsonObject(), "Authorization", user()), 403);
    assertProblem(Http.postJson(gw.url("/webhooks/" + name + "/redrive"), new JsonObject()), 401);
    assertEquals(202, Http.postJson(gw.url("/webhooks/" + name + "/redrive"), new JsonObject(), "Authorization", admin())
        .status());
    assertEquals(200, Http.get(gw.url("/webhooks/" + name), "Authorization", admin()).status(), "still there");
    assertEquals(200, Http.get(gw.url("/webhooks/" + name + "/status"), "Authorization", admin()).status());
    assertEquals(204, Http.delete(gw.url("/webhooks/" + name), "Authorization", admin()).status());
  }
}
