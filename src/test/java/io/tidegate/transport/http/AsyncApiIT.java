package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * /asyncapi.json against the gateway as built: the document is AsyncAPI 3.0 shaped (channels with addresses,
 * operations on existing channels sending messages of those channels, every $ref resolving, every schema valid
 * JSON Schema), and real frames received over /ws and events over /events, in every kind the document lists, are
 * validated against its message schemas with Vert.x's JSON Schema validator. A message nobody could provoke here
 * must say why in {@code x-tidegate-untested}, or this test fails.
 */
@GatewayIT
class AsyncApiIT {
  private static final String SECRET = "an-api-docs-test-secret-of-32-bytes+";
  private static final String BASE = "https://tidegate.io/asyncapi.json";

  static TestGateway gw;
  static Vertx vertx;
  static JsonObject doc;
  static SchemaRepository schemas;
  /** "channel message" for every frame or event validated. */
  static final Set<String> seen = new TreeSet<>();

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject()
        .put("auth", new JsonObject().put("mode", "jwt")
            .put("jwt", new JsonObject().put("secret", SECRET).put("clockSkewSeconds", 0))));
    vertx = Vertx.vertx();
    doc = ApiDocs.served(gw, "/asyncapi.json");
    schemas = SchemaRepository.create(new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri(BASE)
        .setOutputFormat(OutputFormat.Basic))
        .preloadMetaSchema(vertx.fileSystem(), Draft.DRAFT202012);
    schemas.dereference(BASE, JsonSchema.of(doc.copy()));
  }

  @AfterAll
  static void stop() {
    gw.close();
    Awaits.result(vertx.close());
  }

  private static String token(String sub, long seconds, JsonObject permissions) {
    return Jwts.hs256(SECRET, Jwts.claims(sub, seconds).put("tidegate", permissions));
  }

  private static JsonObject all() {
    JsonArray any = new JsonArray().add("*");
    return new JsonObject().put("publish", any).put("subscribe", any).put("groups", any);
  }

  /** Validates {@code payload} against the schema of {@code channel}'s message {@code name}. */
  private static void validate(String channel, String name, Object payload) {
    JsonObject message = (JsonObject) ApiDocs.resolve(doc,
        doc.getJsonObject("channels").getJsonObject(channel).getJsonObject("messages").getJsonObject(name).getString("$ref"));
    assertNotNull(message, channel + " " + name + " is described");
    String payloadRef = message.getJsonObject("payload").getString("$ref");
    OutputUnit result = schemas.validator(BASE + payloadRef).validate(payload);
    assertTrue(result.getValid(), channel + " " + name + " does not match /asyncapi.json: " + errors(result) + "\n" + payload);
    seen.add(channel + " " + name);
  }

  private static String errors(OutputUnit unit) {
    List<String> out = new ArrayList<>();
    if (unit.getErrors() != null) {
      unit.getErrors().forEach(e -> out.add(e.getInstanceLocation() + ": " + e.getError() + " (" + e.getKeywordLocation() + ")"));
    }
    return out.isEmpty() ? String.valueOf(unit.getError()) : out.toString();
  }

  /** Every frame the socket received so far, validated as the message its type names. */
  private static void validateFrames(WsClient ws) {
    for (JsonObject f : ws.frames()) {
      validate("ws", f.getString("type"), f);
    }
  }

  /** What a client sends is described too: the frames this test sends are valid by the document. */
  private static WsClient send(WsClient ws, JsonObject frame) {
    validate("ws", frame.getString("type"), frame);
    return ws.send(frame);
  }

  @Test
  void theDocumentIsAsyncApi30Shaped() {
    assertEquals("3.0.0", doc.getString("asyncapi"));
    ApiDocs.assertRefsResolve(doc);
    JsonObject channels = doc.getJsonObject("channels");
    Set<String> addresses = new TreeSet<>();
    channels.forEach(c -> {
      JsonObject ch = (JsonObject) c.getValue();
      addresses.add(ch.getString("address"));
      ch.getJsonObject("messages").forEach(m -> {
        JsonObject msg = (JsonObject) ApiDocs.resolve(doc, ((JsonObject) m.getValue()).getString("$ref"));
        assertNotNull(msg.getJsonObject("payload"), c.getKey() + " " + m.getKey() + " has a payload");
      });
    });
    assertEquals(Set.of("/ws", "/events"), addresses);
    assertTrue(Set.copyOf(ApiDocs.routes(gw)).containsAll(Set.of("GET /ws", "GET /events")), "both are routed");
    doc.getJsonObject("operations").forEach(o -> {
      JsonObject op = (JsonObject) o.getValue();
      assertTrue(Set.of("send", "receive").contains(op.getString("action")), o.getKey());
      String channel = op.getJsonObject("channel").getString("$ref");
      assertTrue(channel.startsWith("#/channels/"), o.getKey());
      for (Object m : op.getJsonArray("messages")) {
        assertTrue(((JsonObject) m).getString("$ref").startsWith(channel + "/messages/"),
            o.getKey() + ": an operation's messages are its channel's");
      }
      JsonObject reply = op.getJsonObject("reply");
      if (reply != null) {
        String replyChannel = reply.getJsonObject("channel").getString("$ref");
        for (Object m : reply.getJsonArray("messages")) {
          assertTrue(((JsonObject) m).getString("$ref").startsWith(replyChannel + "/messages/"), o.getKey());
        }
      }
    });
    // every schema is itself valid JSON Schema (2020-12)
    doc.getJsonObject("components").getJsonObject("schemas").forEach(s -> {
      OutputUnit r = schemas.validator("https://json-schema.org/draft/2020-12/schema").validate(s.getValue());
      assertTrue(r.getValid(), s.getKey() + " is not valid JSON Schema: " + errors(r));
    });
  }

  @Test
  void realFramesAndEventsMatchTheDocument() throws Exception {
    String topic = uniqueTopic("asyncapi");
    String trimmed = uniqueTopic("asyncapi-trimmed");
    String shared = uniqueTopic("asyncapi-group");
    createTopic(topic, 1);
    createTopic(trimmed, 1);
    createTopic(shared, 2);
    String adaToken = token("ada", 600, all());
    String[] ada = {"Authorization", "Bearer " + adaToken};
    // a JSON value, a text, binary bytes and a tombstone
    assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", new JsonArray()
        .add(new JsonObject().put("key", "k").put("value", new JsonObject().put("n", 1)).put("headers", new JsonObject().put("h", "v")))
        .add(new JsonObject().put("text", "plain words"))
        .add(new JsonObject().put("binary", "//79"))
        .add(new JsonObject().put("key", "k"))), ada).status());
    for (int i = 0; i < 3; i++) {
      assertEquals(200, Http.postJson(gw.url("/topics/" + trimmed + "/records"), new JsonObject().put("value", i), ada).status());
      assertEquals(200, Http.postJson(gw.url("/topics/" + shared + "/records"), new JsonObject().put("value", i), ada).status());
    }
    try (Admin admin = KafkaTestClients.admin()) {
      admin.deleteRecords(Map.of(new TopicPartition(trimmed, 0), RecordsToDelete.beforeOffset(2))).all().get();
    }

    try (WsClient ws = WsClient.connect(vertx, gw, adaToken)) {
      send(ws, new JsonObject().put("type", "auth").put("id", "a1").put("token", token("ada", 600, all())));
      ws.awaitType("authenticated", "a1");
      send(ws, new JsonObject().put("type", "ping").put("id", "x"));
      ws.awaitType("pong", "x");
      send(ws, new JsonObject().put("type", "subscribe").put("id", "s1").put("topics", new JsonArray().add(topic))
          .put("from", "earliest").put("filter", new JsonObject()));
      ws.awaitType("subscribed", "s1");
      ws.awaitRecords(4);
      send(ws, new JsonObject().put("type", "publish").put("id", "p1").put("topic", topic).put("key", "k")
          .put("value", new JsonObject().put("n", 2)).put("headers", new JsonObject().put("h", "v")));
      ws.awaitType("ack", "p1");
      ws.awaitRecords(5);
      ws.sendText("{\"type\":\"nope\",\"id\":\"e1\"}");
      ws.awaitType("error", "e1");
      ws.sendText("[not an object");
      ws.await(f -> "error".equals(f.getString("type")) && f.getValue("id") == null);
      send(ws, new JsonObject().put("type", "subscribe").put("id", "s2").put("topics", new JsonArray().add(trimmed))
          .put("from", new JsonObject().put("offsets", new JsonObject().put(trimmed, new JsonObject().put("0", 0)))));
      ws.awaitType("reset", "s2");
      send(ws, new JsonObject().put("type", "unsubscribe").put("id", "u1").put("topics", new JsonArray().add(trimmed)));
      ws.awaitType("unsubscribed", "u1");
      // a replacement token that no longer allows the topic ends its subscription, with the offsets to resume from
      send(ws, new JsonObject().put("type", "auth").put("id", "a2").put("token", token("ada", 600, new JsonObject())));
      ws.await(f -> "unsubscribed".equals(f.getString("type")) && "a2".equals(f.getString("id")) && f.containsKey("status"));
      ws.awaitType("authenticated", "a2");
      validateFrames(ws);
    }

    // a consumer group: subscribed with the group, assigned, records, committed; a second member takes a partition
    try (WsClient first = WsClient.connect(vertx, gw, adaToken); WsClient second = WsClient.connect(vertx, gw, adaToken)) {
      JsonObject join = new JsonObject().put("type", "subscribe").put("topics", new JsonArray().add(shared))
          .put("group", uniqueTopic("billing")).put("from", "earliest");
      send(first, join.copy().put("id", "g1"));
      first.awaitType("subscribed", "g1");
      first.awaitType("assigned", null);
      first.awaitRecords(3);
      JsonObject r = first.records().get(0);
      send(first, new JsonObject().put("type", "commit").put("id", "c1").put("topic", shared)
          .put("partition", r.getInteger("partition")).put("offset", r.getLong("offset")));
      first.awaitType("committed", "c1");
      send(second, join.copy().put("id", "g2"));
      second.awaitType("subscribed", "g2");
      first.awaitType("revoked", null);
      validateFrames(first);
      validateFrames(second);
    }

    // a token that lapses: a last error with the offsets to resume from, then 1008
    try (WsClient ws = WsClient.connect(vertx, gw, token("ada", 2, all()))) {
      send(ws, new JsonObject().put("type", "subscribe").put("id", "s3").put("topics", new JsonArray().add(topic)));
      ws.awaitType("subscribed", "s3");
      assertEquals(1008, ws.awaitClose());
      JsonObject last = ws.frames().get(ws.frames().size() - 1);
      assertTrue(last.containsKey("offsets"), last.encode());
      validateFrames(ws);
    }

    // Server-Sent Events: subscribed and records with their cursor, a reset, and an error at the token's expiry
    try (SseClient sse = SseClient.open(gw.url("/events?topic=" + topic + "&from=earliest&access_token=" + adaToken))) {
      sse.awaitRecords(5);
      validateEvents(sse);
    }
    try (SseClient sse = SseClient.open(gw.url("/events?topic=" + trimmed + "&access_token=" + adaToken), trimmed + ":0")) {
      Awaits.until("a reset event", Duration.ofSeconds(30), () -> !sse.named("reset").isEmpty());
      validateEvents(sse);
    }
    try (SseClient sse = SseClient.open(gw.url("/events?topic=" + topic + "&access_token=" + token("ada", 2, all())))) {
      Awaits.until("an error event at expiry", Duration.ofSeconds(30), () -> !sse.named("error").isEmpty());
      validateEvents(sse);
    }

    // graceful stop: a WebSocket gets draining with its offsets then 1012; an SSE stream gets event: draining and ends
    TestGateway stopping = TestGateway.start(new JsonObject());
    try (WsClient ws = WsClient.connect(vertx, stopping);
        SseClient sse = SseClient.open(stopping.url("/events?topic=" + topic + "&from=earliest"))) {
      send(ws, new JsonObject().put("type", "subscribe").put("id", "s4").put("topics", new JsonArray().add(topic))
          .put("from", "earliest"));
      ws.awaitType("subscribed", "s4");
      ws.awaitRecords(5);
      sse.awaitRecords(5);
      stopping.close();
      assertEquals(1012, ws.awaitClose());
      ws.awaitType("draining", null);
      Awaits.until("event: draining", Duration.ofSeconds(30), () -> !sse.named("draining").isEmpty());
      validateFrames(ws);
      validateEvents(sse);
    }

    List<String> unseen = new ArrayList<>();
    doc.getJsonObject("channels").forEach(c -> ((JsonObject) c.getValue()).getJsonObject("messages").forEach(m -> {
      JsonObject msg = (JsonObject) ApiDocs.resolve(doc, ((JsonObject) m.getValue()).getString("$ref"));
      if (!seen.contains(c.getKey() + " " + m.getKey()) && msg.getString("x-tidegate-untested", "").length() < 10) {
        unseen.add(c.getKey() + " " + m.getKey());
      }
    }));
    assertTrue(unseen.isEmpty(), "described messages no test saw (provoke them, or say why in x-tidegate-untested): " + unseen);
  }

  /** Each event's data as its message's payload, and the cursor of subscribed and record events as their id. */
  private static void validateEvents(SseClient sse) {
    for (SseClient.Event e : sse.events()) {
      String name = "sse" + Character.toUpperCase(e.name().charAt(0)) + e.name().substring(1);
      validate("events", name, e.json());
      if (e.name().equals("record") || e.name().equals("subscribed")) {
        OutputUnit id = schemas.validator(BASE + "#/components/schemas/SseCursorId").validate(new JsonObject().put("id", e.id()));
        assertTrue(id.getValid(), "the id of " + e.name() + " is a cursor: " + e.id() + " " + errors(id));
      }
    }
  }
}
