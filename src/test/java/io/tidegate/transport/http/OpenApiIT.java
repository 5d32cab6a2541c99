package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.Gateway;
import io.tidegate.config.ConfigParser;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import io.vertx.openapi.validation.ValidatorException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * /openapi.json against the gateway as built: the document as served parses as OpenAPI 3.1 (Vert.x's own
 * parser: meta-schema and $refs), every route of the router is described and every described route exists, and
 * every response status the document gives each operation is provoked on a real gateway in front of the real
 * broker and its answer validated against the document (status, headers, body schema). A status nobody could
 * provoke here must say why in {@code x-tidegate-untested}, or this test fails.
 */
@GatewayIT
class OpenApiIT {
  private static final String SECRET = "an-api-docs-test-secret-of-32-bytes+";
  /** Served by the listener and described elsewhere (/ws in /asyncapi.json) or static files, not API routes. */
  private static final Set<String> NOT_API = Set.of("GET /ws", "GET /webjars/*", "GET /vendor/chart.umd.min.js");

  static TestGateway gw;
  static Vertx vertx;
  static OpenAPIContract contract;
  static ResponseValidator validator;
  static JsonObject doc;
  /** "operationId status" for every answer validated. */
  static final Set<String> seen = new TreeSet<>();

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject()
        .put("http", new JsonObject().put("maxBodyBytes", 65_536))
        .put("limits", new JsonObject().put("publishRecordsPerSecond", 200).put("maxConnectionsPerSubject", 1))
        .put("auth", new JsonObject().put("mode", "jwt").put("jwt", new JsonObject().put("secret", SECRET))));
    vertx = Vertx.vertx();
    doc = ApiDocs.served(gw, "/openapi.json");
    contract = ApiDocs.contract(vertx, doc);
    validator = ResponseValidator.create(vertx, contract);
    Awaits.until("the webhook definitions are read", () -> Http.get(gw.url("/webhooks"), admin()).status() == 200);
  }

  @AfterAll
  static void stop() {
    gw.close();
    Awaits.result(vertx.close());
  }

  private static String[] token(String sub, JsonObject permissions) {
    return new String[] {"Authorization", "Bearer " + Jwts.hs256(SECRET, Jwts.claims(sub, 600).put("tidegate", permissions))};
  }

  private static String[] admin() {
    JsonArray all = new JsonArray().add("*");
    return token("ada", new JsonObject().put("publish", all).put("subscribe", all).put("groups", all).put("admin", true));
  }

  /** May use no topic and administer nothing. */
  private static String[] nobody() {
    return token("nobody", new JsonObject());
  }

  private static String[] with(String[] auth, String... more) {
    String[] out = new String[auth.length + more.length];
    System.arraycopy(auth, 0, out, 0, auth.length);
    System.arraycopy(more, 0, out, auth.length, more.length);
    return out;
  }

  /** The answer must have {@code status} and match the document's description of it for the operation. */
  private static Http.Response check(String operationId, int status, Supplier<Http.Response> call) {
    Http.Response r = call.get();
    assertEquals(status, r.status(), operationId + ": " + r.body());
    validate(operationId, r.status(), r.headers().entries(), r.body().isEmpty() ? null : Buffer.buffer(r.body()),
        r.contentType());
    return r;
  }

  private static void validate(String operationId, int status, List<Map.Entry<String, String>> headers, Buffer body,
      String contentType) {
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach(e -> h.put(e.getKey(), e.getValue()));
    // the library looks the content up by the exact media type: the type without its parameters (;charset=...)
    String mediaType = contentType == null ? null : contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    ValidatableResponse response = body == null ? ValidatableResponse.create(status, h)
        : ValidatableResponse.create(status, h, body, mediaType);
    try {
      Awaits.result(validator.validate(response, operationId));
    } catch (RuntimeException e) {
      Throwable cause = e instanceof ValidatorException ? e : e.getCause() != null ? e.getCause() : e;
      throw new AssertionError(operationId + " " + status + " does not match /openapi.json: " + cause.getMessage()
          + "\nbody: " + (body == null ? "" : body.toString()), e);
    }
    seen.add(operationId + " " + status);
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedRouteExists() {
    Set<String> documented = new TreeSet<>();
    Set<String> pending = new TreeSet<>();
    doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).forEach(op -> {
      if (Set.of("get", "post", "put", "delete", "patch").contains(op.getKey())) {
        String route = op.getKey().toUpperCase() + " " + p.getKey();
        documented.add(route);
        if (((JsonObject) op.getValue()).containsKey("x-tidegate-pending")) {
          pending.add(route);
        }
      }
    }));
    Set<String> routes = ApiDocs.routes(gw);
    Set<String> undocumented = new TreeSet<>(routes);
    undocumented.removeAll(documented);
    undocumented.removeAll(NOT_API);
    assertTrue(undocumented.isEmpty(), "routes missing from /openapi.json: " + undocumented);
    Set<String> missing = new TreeSet<>(documented);
    missing.removeAll(routes);
    missing.removeAll(pending);
    assertTrue(missing.isEmpty(), "described in /openapi.json but not routed: " + missing);
    assertTrue(routes.containsAll(NOT_API), "the routes left out here exist: " + routes);
  }

  @Test
  void theDocumentIsOpenApi31() {
    assertEquals("3.1.0", doc.getString("openapi"));
    ApiDocs.assertRefsResolve(doc);
    assertEquals("mutualTLS", contract.securityScheme("clientCertificate").getType());
  }

  @Test
  void everyDocumentedAnswerIsGivenAndMatchesTheDocument() throws Exception {
    String topic = uniqueTopic("apidocs");
    createTopic(topic, 2);
    String t = "/topics/" + topic;
    String[] ada = admin();
    String[] nobody = nobody();
    JsonObject rec = new JsonObject().put("key", "k").put("value", new JsonObject().put("n", 1));
    String big = "x".repeat(70_000);

    // publish, JSON
    check("publishRecords", 200, () -> Http.postJson(gw.url(t + "/records"), rec, ada));
    check("publishRecords", 202, () -> Http.postJson(gw.url(t + "/records?async=true"), rec, ada));
    check("publishRecords", 400, () -> Http.post(gw.url(t + "/records"), "application/json", "{", ada));
    check("publishRecords", 401, () -> Http.postJson(gw.url(t + "/records"), rec));
    check("publishRecords", 403, () -> Http.postJson(gw.url(t + "/records"), rec, nobody));
    check("publishRecords", 404, () -> Http.postJson(gw.url("/topics/" + uniqueTopic("none") + "/records"), rec, ada));
    check("publishRecords", 413, () -> Http.post(gw.url(t + "/records"), "application/json",
        new JsonObject().put("text", big).encode(), ada));
    check("publishRecords", 415, () -> Http.post(gw.url(t + "/records"), "application/xml", "<r/>", ada));
    check("publishRecords", 422, () -> Http.postJson(gw.url(t + "/records"), new JsonObject().put("vaule", 1), ada));
    // some records written, some refused by the broker: partition 1 only takes small records
    String mixed = uniqueTopic("apidocs-mixed");
    createTopic(mixed, 2, Map.of("max.message.bytes", "2000"));
    JsonObject batch = new JsonObject().put("records", new JsonArray()
        .add(new JsonObject().put("partition", 0).put("text", "small"))
        .add(new JsonObject().put("partition", 1).put("text", "y".repeat(8_000))));
    check("publishRecords", 207, () -> Http.postJson(gw.url("/topics/" + mixed + "/records"), batch, ada));
    // a subject of its own spends its publish rate (200 records/s) and is refused with Retry-After
    String[] greedy = token("greedy", new JsonObject().put("publish", new JsonArray().add("*")));
    JsonArray many = new JsonArray();
    for (int i = 0; i < 600; i++) {
      many.add(new JsonObject().put("value", i));
    }
    JsonObject spend = new JsonObject().put("records", many);
    // an oversized batch is let through once and leaves a debt that takes seconds to pay back; a batch refused
    // (all or nothing) leaves what was there, so go on until even one record is refused
    Runnable overspend = () -> Awaits.until("a publish over the rate is refused", () -> {
      Http.postJson(gw.url(t + "/records"), spend, greedy);
      return Http.postJson(gw.url(t + "/records"), rec, greedy).status() == 429;
    });
    overspend.run();
    check("publishRecords", 429, () -> Http.postJson(gw.url(t + "/records"), rec, greedy));

    // publish, raw body
    check("publishRaw", 200, () -> Http.post(gw.url(t + "?key=k"), "text/plain", "hello", ada));
    check("publishRaw", 202, () -> Http.post(gw.url(t + "?async=true"), "application/octet-stream", new byte[] {1, 2}, ada));
    check("publishRaw", 400, () -> Http.post(gw.url("/topics/bad%20name"), "text/plain", "x", ada));
    check("publishRaw", 401, () -> Http.post(gw.url(t), "text/plain", "x"));
    check("publishRaw", 403, () -> Http.post(gw.url(t), "text/plain", "x", nobody));
    check("publishRaw", 404, () -> Http.post(gw.url("/topics/" + uniqueTopic("none")), "text/plain", "x", ada));
    check("publishRaw", 413, () -> Http.post(gw.url(t), "text/plain", big, ada));
    check("publishRaw", 415, () -> Http.post(gw.url(t), "image/png", "x", ada));
    check("publishRaw", 422, () -> Http.post(gw.url(t + "?partition=-3"), "text/plain", "x", ada));
    overspend.run();
    check("publishRaw", 429, () -> Http.post(gw.url(t), "text/plain", "x", greedy));

    // history
    check("readHistory", 200, () -> Http.get(gw.url(t + "/records?from=earliest&limit=10"), ada));
    check("readHistory", 400, () -> Http.get(gw.url(t + "/records?limit=zero"), ada));
    check("readHistory", 401, () -> Http.get(gw.url(t + "/records")));
    check("readHistory", 403, () -> Http.get(gw.url(t + "/records"), nobody));
    check("readHistory", 404, () -> Http.get(gw.url(t + "/records?partition=9"), ada));

    // topics
    String created = uniqueTopic("apidocs-created");
    JsonObject create = new JsonObject().put("name", created).put("partitions", 1);
    check("createTopic", 201, () -> Http.postJson(gw.url("/topics"), create, ada));
    check("createTopic", 409, () -> Http.postJson(gw.url("/topics"), create, ada));
    check("createTopic", 400, () -> Http.post(gw.url("/topics"), "application/json", "[", ada));
    check("createTopic", 401, () -> Http.postJson(gw.url("/topics"), create));
    check("createTopic", 403, () -> Http.postJson(gw.url("/topics"), create, nobody));
    check("createTopic", 413, () -> Http.postJson(gw.url("/topics"), new JsonObject().put("name", big), ada));
    check("createTopic", 415, () -> Http.post(gw.url("/topics"), "text/plain", "x", ada));
    check("createTopic", 422, () -> Http.postJson(gw.url("/topics"), new JsonObject().put("name", "x").put("size", 1), ada));
    check("listTopics", 200, () -> Http.get(gw.url("/topics"), ada));
    check("listTopics", 401, () -> Http.get(gw.url("/topics")));
    check("describeTopic", 200, () -> Http.get(gw.url(t), ada));
    check("describeTopic", 400, () -> Http.get(gw.url("/topics/a%2Fb"), ada));
    check("describeTopic", 401, () -> Http.get(gw.url(t)));
    check("describeTopic", 403, () -> Http.get(gw.url(t), nobody));
    check("describeTopic", 404, () -> Http.get(gw.url("/topics/" + uniqueTopic("none")), ada));
    check("deleteTopic", 204, () -> Http.delete(gw.url("/topics/" + created), ada));
    check("deleteTopic", 400, () -> Http.delete(gw.url("/topics/a%20b"), ada));
    check("deleteTopic", 401, () -> Http.delete(gw.url("/topics/" + created)));
    check("deleteTopic", 403, () -> Http.delete(gw.url("/topics/" + created), nobody));
    check("deleteTopic", 404, () -> Http.delete(gw.url("/topics/" + uniqueTopic("none")), ada));

    // groups, identity, operations
    check("listGroups", 200, () -> Http.get(gw.url("/groups"), ada));
    check("listGroups", 401, () -> Http.get(gw.url("/groups")));
    check("listGroups", 403, () -> Http.get(gw.url("/groups"), nobody));
    check("me", 200, () -> Http.get(gw.url("/me"), ada));
    check("me", 401, () -> Http.get(gw.url("/me"), "Authorization", "Bearer not-a-token"));
    check("stats", 200, () -> Http.get(gw.url("/stats"), ada));
    check("stats", 401, () -> Http.get(gw.url("/stats")));
    check("live", 200, () -> Http.get(gw.url("/health/live")));
    check("ready", 200, () -> Http.get(gw.url("/health/ready")));
    check("health", 200, () -> Http.get(gw.url("/health")));
    check("metrics", 200, () -> Http.get(gw.url("/metrics")));
    check("openapi", 200, () -> Http.get(gw.url("/openapi.json")));
    check("asyncapi", 200, () -> Http.get(gw.url("/asyncapi.json")));

    // webhooks
    String hook = uniqueTopic("apidocs-hook");
    JsonObject def = new JsonObject().put("name", hook).put("topics", new JsonArray().add(topic))
        .put("url", "http://127.0.0.1:9/hook").put("secret", "a-secret-of-16-bytes-or-more")
        .put("filter", new JsonObject().put("key", "k"));
    String w = "/webhooks/" + hook;
    check("createWebhook", 201, () -> Http.postJson(gw.url("/webhooks"), def, ada));
    check("createWebhook", 409, () -> Http.postJson(gw.url("/webhooks"), def, ada));
    check("createWebhook", 400, () -> Http.post(gw.url("/webhooks"), "application/json", "{\"name\"", ada));
    check("createWebhook", 401, () -> Http.postJson(gw.url("/webhooks"), def));
    check("createWebhook", 403, () -> Http.postJson(gw.url("/webhooks"), def, nobody));
    check("createWebhook", 404, () -> Http.postJson(gw.url("/webhooks"), def.copy().put("name", hook + "-b")
        .put("topics", new JsonArray().add(uniqueTopic("none"))), ada));
    check("createWebhook", 413, () -> Http.postJson(gw.url("/webhooks"), def.copy().put("secret", big), ada));
    check("createWebhook", 415, () -> Http.post(gw.url("/webhooks"), "text/plain", "x", ada));
    check("createWebhook", 422, () -> Http.postJson(gw.url("/webhooks"), def.copy().put("name", hook + "-c")
        .put("maxAttempts", "many"), ada));
    check("listWebhooks", 200, () -> Http.get(gw.url("/webhooks"), ada));
    check("listWebhooks", 401, () -> Http.get(gw.url("/webhooks")));
    check("listWebhooks", 403, () -> Http.get(gw.url("/webhooks"), nobody));
    check("getWebhook", 200, () -> Http.get(gw.url(w), ada));
    check("getWebhook", 401, () -> Http.get(gw.url(w)));
    check("getWebhook", 403, () -> Http.get(gw.url(w), nobody));
    check("getWebhook", 404, () -> Http.get(gw.url(w + "-none"), ada));
    Http.postJson(gw.url(t + "/records"), rec, ada);
    check("webhookStatus", 200, () -> Http.get(gw.url(w + "/status"), ada));
    check("webhookStatus", 401, () -> Http.get(gw.url(w + "/status")));
    check("webhookStatus", 403, () -> Http.get(gw.url(w + "/status"), nobody));
    check("webhookStatus", 404, () -> Http.get(gw.url(w + "-none/status"), ada));
    check("deleteWebhook", 204, () -> Http.delete(gw.url(w), ada));
    check("deleteWebhook", 401, () -> Http.delete(gw.url(w)));
    check("deleteWebhook", 403, () -> Http.delete(gw.url(w), nobody));
    check("deleteWebhook", 404, () -> Http.delete(gw.url(w), ada));
    redrive(ada, nobody);

    // Server-Sent Events: the stream's start, and the problems answered before it
    String[] reader = token("sse-reader", new JsonObject().put("subscribe", new JsonArray().add("*")));
    try (Http.Streamed stream = Http.stream(gw.url("/events?topic=" + topic + "&from=earliest"), reader)) {
      Awaits.until("the stream is subscribed", () -> stream.lines().contains("event: subscribed"));
      String body = String.join("\n", stream.lines()) + "\n";
      validate("streamEvents", stream.status(), List.of(Map.entry("Content-Type", stream.header("Content-Type"))),
          Buffer.buffer(body), stream.header("Content-Type"));
      // the subject holds its one stream (limits.maxConnectionsPerSubject): a second is refused
      check("streamEvents", 429, () -> Http.get(gw.url("/events?topic=" + topic), reader));
    }
    check("streamEvents", 400, () -> Http.get(gw.url("/events"), ada));
    check("streamEvents", 401, () -> Http.get(gw.url("/events?topic=" + topic)));
    check("streamEvents", 403, () -> Http.get(gw.url("/events?topic=" + topic), nobody));
    check("streamEvents", 404, () -> Http.get(gw.url("/events?topic=" + uniqueTopic("none")), ada));

    kafkaUnreachable(topic);
    assertEveryDocumentedAnswerWasSeen();
  }

  /**
   * {@code POST /webhooks/{name}/redrive} and the status it fills, with a real receiver: at {@code /flaky} it answers
   * what the test says (-1: never), at {@code /gone} 410. Each webhook tries a record once, so a failure dead-letters it.
   */
  private static void redrive(String[] ada, String[] nobody) {
    AtomicInteger flaky = new AtomicInteger(500);
    AtomicInteger calls = new AtomicInteger();
    HttpServer receiver = Awaits.result(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      calls.incrementAndGet();
      int status = req.path().endsWith("/gone") ? 410 : flaky.get();
      if (status > 0) {
        req.response().setStatusCode(status).end();
      } // else it hangs: the redrive waits on it
    })).listen(0, "127.0.0.1"));
    try {
      String topic = uniqueTopic("apidocs-redriven");
      createTopic(topic, 1);
      String hook = uniqueTopic("apidocs-redrive");
      String w = "/webhooks/" + hook;
      JsonObject def = new JsonObject().put("name", hook).put("topics", new JsonArray().add(topic))
          .put("url", "http://127.0.0.1:" + receiver.actualPort() + "/flaky").put("maxAttempts", 1)
          .put("timeoutMs", 120_000);
      assertEquals(201, Http.postJson(gw.url("/webhooks"), def, ada).status());
      Supplier<JsonObject> status = () -> Http.get(gw.url(w + "/status"), ada).json();
      JsonObject rec = new JsonObject().put("key", "r").put("value", 1);

      // a dead letter: the status shows the receiver's error and the letter waiting; a redrive sends it
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), rec, ada).status());
      Awaits.until("the record is dead-lettered", () -> status.get().getLong("deadLettered") == 1
          && Long.valueOf(1).equals(status.get().getJsonObject("redrive").getLong("waiting")));
      JsonObject failed = check("webhookStatus", 200, () -> Http.get(gw.url(w + "/status"), ada)).json();
      assertEquals(500, failed.getJsonObject("lastError").getInteger("status"));
      assertEquals("idle", failed.getJsonObject("redrive").getString("state"));
      flaky.set(204);
      assertEquals(1, check("redriveWebhook", 202, () -> Http.postJson(gw.url(w + "/redrive"), new JsonObject(), ada))
          .json().getInteger("redriving"));
      Awaits.until("the redrive is done", () -> "done".equals(status.get().getJsonObject("redrive").getString("state")));
      JsonObject done = check("webhookStatus", 200, () -> Http.get(gw.url(w + "/status"), ada)).json();
      assertEquals(1L, done.getJsonObject("redrive").getLong("redriven"));

      // another dead letter, and a receiver that hangs: the redrive runs until the webhook is deleted, and a second is 409
      flaky.set(500);
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), rec, ada).status());
      Awaits.until("the second record is dead-lettered", () -> status.get().getLong("deadLettered") == 2
          && Long.valueOf(1).equals(status.get().getJsonObject("redrive").getLong("waiting")));
      flaky.set(-1);
      int before = calls.get();
      check("redriveWebhook", 202, () -> Http.postJson(gw.url(w + "/redrive"), new JsonObject(), ada));
      Awaits.until("the redrive is sending", () -> calls.get() > before);
      check("redriveWebhook", 409, () -> Http.postJson(gw.url(w + "/redrive"), new JsonObject(), ada));
      JsonObject running = check("webhookStatus", 200, () -> Http.get(gw.url(w + "/status"), ada)).json();
      assertEquals("running", running.getJsonObject("redrive").getString("state"));
      check("redriveWebhook", 401, () -> Http.postJson(gw.url(w + "/redrive"), new JsonObject()));
      check("redriveWebhook", 403, () -> Http.postJson(gw.url(w + "/redrive"), new JsonObject(), nobody));
      check("redriveWebhook", 404, () -> Http.postJson(gw.url(w + "-none/redrive"), new JsonObject(), ada));
      assertEquals(204, Http.delete(gw.url(w), ada).status());

      // a receiver answered 410: the webhook is disabled, and a redrive of it is 409 too
      JsonObject goneDef = def.copy().put("name", hook + "-gone")
          .put("url", "http://127.0.0.1:" + receiver.actualPort() + "/gone");
      assertEquals(201, Http.postJson(gw.url("/webhooks"), goneDef, ada).status());
      String g = "/webhooks/" + hook + "-gone";
      assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), rec, ada).status());
      Awaits.until("the webhook is disabled", () -> "disabled".equals(Http.get(gw.url(g + "/status"), ada).json()
          .getString("state")));
      check("webhookStatus", 200, () -> Http.get(gw.url(g + "/status"), ada));
      check("redriveWebhook", 409, () -> Http.postJson(gw.url(g + "/redrive"), new JsonObject(), ada));
      assertEquals(204, Http.delete(gw.url(g), ada).status());
    } finally {
      Awaits.result(receiver.close());
    }
  }

  /** A gateway in front of a port where no broker listens: every route that needs Kafka answers 503. */
  private static void kafkaUnreachable(String topic) throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    JsonObject cfg = new JsonObject()
        .put("http", new JsonObject().put("port", 0).put("instances", 1))
        .put("kafka", new JsonObject().put("requestTimeoutMs", 1500))
        .put("publish", new JsonObject().put("timeoutMs", 1500))
        .put("health", new JsonObject().put("probeIntervalMs", 300).put("probeTimeoutMs", 500))
        .put("shutdown", new JsonObject().put("timeoutMs", 3000));
    Vertx deadVertx = TestGateway.newVertx();
    Gateway down = Awaits.result(Gateway.start(deadVertx, ConfigParser.parse(cfg), "127.0.0.1:" + dead));
    try {
      String base = "http://127.0.0.1:" + down.port();
      String t = "/topics/" + topic;
      JsonObject rec = new JsonObject().put("value", 1);
      Awaits.until("readiness is down", () -> Http.get(base + "/health/ready").status() == 503);
      check("ready", 503, () -> Http.get(base + "/health/ready"));
      check("health", 503, () -> Http.get(base + "/health"));
      check("publishRecords", 503, () -> Http.postJson(base + t + "/records", rec));
      check("publishRaw", 503, () -> Http.post(base + t, "text/plain", "x"));
      check("readHistory", 503, () -> Http.get(base + t + "/records"));
      check("listTopics", 503, () -> Http.get(base + "/topics"));
      check("createTopic", 503, () -> Http.postJson(base + "/topics", new JsonObject().put("name", topic + "-x")));
      check("describeTopic", 503, () -> Http.get(base + t));
      check("deleteTopic", 503, () -> Http.delete(base + t));
      check("listGroups", 503, () -> Http.get(base + "/groups"));
      check("streamEvents", 503, () -> Http.get(base + "/events?topic=" + topic));
      JsonObject def = new JsonObject().put("name", "never").put("topics", new JsonArray().add(topic))
          .put("url", "http://127.0.0.1:9/hook");
      check("createWebhook", 503, () -> Http.postJson(base + "/webhooks", def));
      check("listWebhooks", 503, () -> Http.get(base + "/webhooks"));
      check("getWebhook", 503, () -> Http.get(base + "/webhooks/never"));
      check("webhookStatus", 503, () -> Http.get(base + "/webhooks/never/status"));
      check("deleteWebhook", 503, () -> Http.delete(base + "/webhooks/never"));
      check("redriveWebhook", 503, () -> Http.postJson(base + "/webhooks/never/redrive", new JsonObject()));
    } finally {
      Awaits.result(down.stop());
      Awaits.result(deadVertx.close());
    }
  }

  /** Each response the document gives was provoked above, or says why it cannot be ({@code x-tidegate-untested}). */
  private static void assertEveryDocumentedAnswerWasSeen() {
    List<String> unseen = new ArrayList<>();
    doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).forEach(op -> {
      if (!(op.getValue() instanceof JsonObject o) || !o.containsKey("responses")) {
        return;
      }
      o.getJsonObject("responses").forEach(r -> {
        String key = o.getString("operationId") + " " + r.getKey();
        boolean excused = o.getString("x-tidegate-untested", "").length() > 10
            || r.getValue() instanceof JsonObject resp && resp.getString("x-tidegate-untested", "").length() > 10;
        if (!seen.contains(key) && !excused) {
          unseen.add(key);
        }
      });
    }));
    assertTrue(unseen.isEmpty(), "documented answers no test provoked (provoke them, or say why in x-tidegate-untested): "
        + unseen);
  }
}
