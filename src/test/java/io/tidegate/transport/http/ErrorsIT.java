package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.tidegate.testing.ProblemAssert.assertProblem;

import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kind of bad input gets its status and a problem body, and the gateway keeps serving. */
@GatewayIT
class ErrorsIT {
  static TestGateway gw;
  static String topic;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject().put("http", new JsonObject().put("maxBodyBytes", 64 * 1024)));
    topic = uniqueTopic("errors");
    createTopic(topic, 2);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static Http.Response publishRaw(String t, String body) {
    return Http.post(gw.url("/topics/" + t + "/records"), "application/json", body);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"value\":1", "{value:1}", "[1,2", "{\"records\":[{\"value\":1},]}", "nul", "{\"value\":1} trailing"})
  void malformedJsonIs400(String body) {
    assertProblem(publishRaw(topic, body), 400);
  }

  @Test
  void emptyBodyIs400() {
    assertProblem(publishRaw(topic, ""), 400);
  }

  @ParameterizedTest
  @ValueSource(strings = {"has space", "semi;colon", "é", "a*b", "tab\tname"})
  void illegalTopicNamesAre400(String name) {
    String path = "/topics/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20") + "/records";
    assertProblem(Http.postJson(gw.url(path), new JsonObject().put("value", 1)), 400);
  }

  @Test
  void topicNameOver249CharactersIs400() {
    assertProblem(Http.postJson(gw.url("/topics/" + "a".repeat(250) + "/records"), new JsonObject().put("value", 1)), 400);
    assertProblem(Http.get(gw.url("/topics/" + "a".repeat(250))), 400);
  }

  @Test
  void unknownTopicIs404() {
    JsonObject p = assertProblem(Http.postJson(gw.url("/topics/" + uniqueTopic("missing") + "/records"),
        new JsonObject().put("value", 1)), 404);
    assertTrue(p.getString("detail").contains("does not exist"));
    assertProblem(Http.get(gw.url("/topics/" + uniqueTopic("missing"))), 404);
    assertProblem(Http.get(gw.url("/topics/" + uniqueTopic("missing") + "/records")), 404);
    assertProblem(Http.delete(gw.url("/topics/" + uniqueTopic("missing"))), 404);
    assertProblem(Http.get(gw.url("/no/such/path")), 404);
  }

  @Test
  void wrongMethodIs405() {
    assertProblem(Http.method(gw.url("/topics/" + topic + "/records"), "PUT"), 405);
    assertProblem(Http.method(gw.url("/topics"), "PATCH"), 405);
  }

  @Test
  void bodyOverTheLimitIs413() {
    String big = "{\"text\":\"" + "x".repeat(70 * 1024) + "\"}";
    assertProblem(publishRaw(topic, big), 413);
  }

  @Test
  void chunkedBodyOverTheLimitIs413WhileReading() {
    // No Content-Length: the limit must be enforced as the bytes arrive.
    byte[] chunk = new byte[16 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'x');
    List<Buffer> chunks = java.util.stream.IntStream.range(0, 64).mapToObj(i -> Buffer.buffer(chunk)).toList();
    Http.Response r;
    try {
      r = Http.postChunked(gw.url("/topics/" + topic), "application/octet-stream", chunks);
    } catch (RuntimeException e) {
      // The gateway may close the connection as soon as it answered 413; then the client sees a reset.
      assertHealthy();
      return;
    }
    assertProblem(r, 413);
  }

  @Test
  void unsupportedMediaTypeIs415() {
    assertProblem(Http.post(gw.url("/topics/" + topic + "/records"), "text/plain", "{\"value\":1}"), 415);
    assertProblem(Http.post(gw.url("/topics/" + topic + "/records"), "application/x-www-form-urlencoded", "a=b"), 415);
    assertProblem(Http.post(gw.url("/topics/" + topic), "image/png", "x"), 415);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"records\":[{\"value\":1},{\"value\":1,\"text\":\"two forms\"}]}",
      "{\"records\":[{\"value\":1},{\"binary\":\"not base64!\"}]}",
      "{\"records\":[{\"value\":1},{\"value\":1,\"headers\":{\"h\":1}}]}",
      "{\"records\":[{\"value\":1},{\"value\":1,\"partition\":99}]}",
      "{\"records\":[{\"value\":1},{\"vaule\":1}]}",
      "{\"records\":[{\"value\":1},{\"key\":5,\"value\":1}]}",
      "{\"records\":[{\"value\":1},{\"value\":1,\"partition\":-1}]}",
      "{\"records\":[{\"value\":1},{\"value\":1,\"timestamp\":\"yesterday\"}]}",
      "{\"records\":[{\"value\":1},7]}"})
  void invalidRecordIs422NamingItsIndex(String body) {
    JsonObject p = assertProblem(publishRaw(topic, body), 422);
    assertTrue(p.getString("detail").startsWith("record 1:"), "the detail names the record: " + p.getString("detail"));
  }

  @Test
  void invalidBatchShapesAre422() {
    assertProblem(publishRaw(topic, "{\"records\":[]}"), 422);
    assertProblem(publishRaw(topic, "{\"records\":{}}"), 422);
    assertProblem(publishRaw(topic, "[{\"value\":1}]"), 422);
    assertProblem(publishRaw(topic, "{\"records\":[{\"value\":1}],\"key\":\"x\"}"), 422);
  }

  @Test
  void nothingOfAnInvalidBatchIsPublished() {
    String t = uniqueTopic("atomic-check");
    createTopic(t, 1);
    JsonObject body = new JsonObject().put("records", new JsonArray()
        .add(new JsonObject().put("value", 1)).add(new JsonObject().put("binary", "%%%")));
    assertProblem(Http.postJson(gw.url("/topics/" + t + "/records"), body), 422);
    assertEquals(0, io.tidegate.testing.KafkaTestClients.endOffsetSum(t, 1), "a 422 batch writes nothing");
  }

  @Test
  void badTopicCreationsAreRefused() {
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", "bad name")), 400);
    // "." and ".." cannot travel in a URL path (clients remove dot segments), but they are refused by name
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", ".")), 400);
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", "..")), 400);
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", "x".repeat(250))), 400);
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", "t").put("partitions", 0)), 422);
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("partitions", 1)), 422);
    assertProblem(Http.post(gw.url("/topics"), "application/json", "{oops"), 400);
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", topic)), 409);
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", uniqueTopic("cfg"))
        .put("configs", new JsonObject().put("no.such.setting", "1"))), 422);
  }

  @Test
  void badHistoryQueriesAre400() {
    assertProblem(Http.get(gw.url("/topics/" + topic + "/records?from=yesterday")), 400);
    assertProblem(Http.get(gw.url("/topics/" + topic + "/records?limit=0")), 400);
    assertProblem(Http.get(gw.url("/topics/" + topic + "/records?limit=100000")), 400);
    assertProblem(Http.get(gw.url("/topics/" + topic + "/records?offset=3")), 400);
    assertProblem(Http.get(gw.url("/topics/" + topic + "/records?partition=9")), 404);
  }

  @Test
  void badIdempotencyKeyIs400() {
    assertProblem(Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("value", 1),
        "Idempotency-Key", "k".repeat(300)), 400);
  }

  private static void assertHealthy() {
    assertEquals(200, Http.get(gw.url("/health/live")).status());
    assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("value", 1)).status());
  }

  @org.junit.jupiter.api.AfterEach
  void gatewayStillServes() {
    assertHealthy();
  }
}
