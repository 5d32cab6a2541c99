package io.tidegate.webhook;

import static io.tidegate.testing.ProblemAssert.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The webhook definitions API: create, read, delete, the problems for bad definitions, and Kafka as the store. */
@GatewayIT
class WebhookApiIT {
  static TestGateway gw;
  static String orders;

  @BeforeAll
  static void start() {
    orders = KafkaTestClients.uniqueTopic("orders.hooks");
    KafkaTestClients.createTopic(orders, 2);
    gw = TestGateway.start(new JsonObject());
    Awaits.until("the webhook definitions are read", () -> Http.get(gw.url("/webhooks")).status() == 200);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static JsonObject hook(String name) {
    return new JsonObject().put("name", name).put("topics", new JsonArray().add(orders))
        .put("url", "http://127.0.0.1:9/hook").put("secret", "a-secret-of-at-least-16-bytes");
  }

  @Test
  void createdWebhookIsListedReadAndDeletedWithoutShowingItsSecret() {
    String name = KafkaTestClients.uniqueTopic("crud");
    Http.Response created = Http.postJson(gw.url("/webhooks"), hook(name));
    assertEquals(201, created.status(), created.body());
    assertEquals("/webhooks/" + name, created.header("Location"));
    JsonObject body = created.json();
    assertEquals("***", body.getString("secret"), "the secret is never echoed back");
    assertEquals(name + ".dlq", body.getString("deadLetterTopic"));
    assertEquals(10, body.getInteger("maxAttempts"));

    // answered once this gateway's registry read it back: visible at once
    JsonObject got = Http.get(gw.url("/webhooks/" + name)).json();
    assertEquals(body, got);
    assertFalse(Http.get(gw.url("/webhooks")).body().contains("a-secret-of"), "no secret in the list");
    assertTrue(Http.get(gw.url("/webhooks")).jsonArray().stream()
        .anyMatch(o -> ((JsonObject) o).getString("name").equals(name)));
    assertEquals(200, Http.get(gw.url("/topics/" + name + ".dlq")).status(), "the dead-letter topic was created");

    JsonObject status = Http.get(gw.url("/webhooks/" + name + "/status")).json();
    assertEquals("delivering", status.getString("state"));
    assertEquals(2, status.getJsonArray("partitions").size(), status.encode());
    assertEquals(0L, status.getLong("delivered"));

    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name)), 409, name);
    assertEquals(204, Http.delete(gw.url("/webhooks/" + name)).status());
    assertProblem(Http.get(gw.url("/webhooks/" + name)), 404);
    assertProblem(Http.delete(gw.url("/webhooks/" + name)), 404);
    assertProblem(Http.get(gw.url("/webhooks/" + name + "/status")), 404);
  }

  @Test
  void badDefinitionsGetProblemsAndAreNotStored() {
    String name = KafkaTestClients.uniqueTopic("bad");
    assertProblem(Http.post(gw.url("/webhooks"), "application/json", "{not json"), 400);
    assertProblem(Http.postJson(gw.url("/webhooks"), new JsonArray()), 400);
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("colour", "red")), 422, "colour");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook("no spaces allowed")), 422, "name");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("topics", new JsonArray())), 422, "topics");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("url", "/relative")), 422, "url");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("url", "ftp://127.0.0.1/x")), 422, "url");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("url", "http://169.254.169.254/latest")), 422,
        "allowedHosts");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("url", "http://internal.example.com/x")), 422,
        "allowedHosts");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("secret", "short")), 422, "secret");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("secret", "whsec_!!notbase64")), 422, "secret");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("maxAttempts", 0)), 422, "maxAttempts");
    assertProblem(Http.postJson(gw.url("/webhooks"),
        hook(name).put("backoff", new JsonObject().put("initialMs", 5000).put("maxMs", 10))), 422, "maxMs");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("deadLetterTopic", orders)), 422, "dead-letter");
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("filter", "key=1")), 422, "filter");
    assertProblem(Http.postJson(gw.url("/webhooks"),
        hook(name).put("topics", new JsonArray().add(KafkaTestClients.uniqueTopic("missing")))), 404);
    assertProblem(Http.postJson(gw.url("/webhooks"), hook(name).put("topics", new JsonArray().add("bad topic"))), 400);
    assertProblem(Http.postJson(gw.url("/webhooks"),
        hook(name).put("topics", new JsonArray().add("__consumer_offsets"))), 403);
    assertProblem(Http.get(gw.url("/webhooks/" + name)), 404);
    assertFalse(Http.get(gw.url("/webhooks")).body().contains(name), "nothing bad was stored");
  }

  @Test
  void definitionsLiveInKafkaSeenByASecondGatewayAndAfterARestart() {
    String name = KafkaTestClients.uniqueTopic("shared");
    assertEquals(201, Http.postJson(gw.url("/webhooks"), hook(name)).status());
    try (TestGateway second = TestGateway.start(new JsonObject())) {
      Awaits.until("the second gateway sees the webhook", () -> Http.get(second.url("/webhooks/" + name)).status() == 200);
      assertEquals(Http.get(gw.url("/webhooks/" + name)).json(), Http.get(second.url("/webhooks/" + name)).json());
      // deleted through the second, gone from the first
      assertEquals(204, Http.delete(second.url("/webhooks/" + name)).status());
      Awaits.until("the first gateway sees the delete", () -> Http.get(gw.url("/webhooks/" + name)).status() == 404);
      assertEquals(201, Http.postJson(second.url("/webhooks"), hook(name)).status());
    }
    // a gateway started after the one that wrote it has stopped reads it from Kafka
    try (TestGateway restarted = TestGateway.start(new JsonObject())) {
      Awaits.until("a restarted gateway sees the webhook",
          () -> Http.get(restarted.url("/webhooks/" + name)).status() == 200);
      JsonObject def = Http.get(restarted.url("/webhooks/" + name)).json();
      assertEquals(List.of(orders), def.getJsonArray("topics").getList());
      assertNotNull(def.getString("secret"));
    }
  }
}
