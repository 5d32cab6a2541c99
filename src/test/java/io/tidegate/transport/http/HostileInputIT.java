package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static io.tidegate.testing.ProblemAssert.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.RawHttp;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Requests an attacker would send (a corpus of hostile input): each gets a problem with a 4xx status,
 * never a 500, a stall or a stack trace, and the gateway keeps serving.
 */
@GatewayIT
class HostileInputIT {
  static TestGateway gw;
  static String topic;

  /** What the gateway logged while the hostile requests came in. */
  static final ListAppender<ILoggingEvent> LOGGED = new ListAppender<>();

  @BeforeAll
  static void start() {
    LOGGED.start();
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(LOGGED);
    gw = TestGateway.start(new JsonObject().put("http", new JsonObject().put("maxBodyBytes", 256 * 1024)));
    topic = uniqueTopic("hostile");
    createTopic(topic, 2);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(LOGGED);
    gw.close();
  }

  @AfterEach
  void noStackTraceWasLogged() {
    List<String> traces;
    synchronized (LOGGED) {
      traces = LOGGED.list.stream()
          .filter(e -> e.getThrowableProxy() != null && e.getLevel().isGreaterOrEqual(Level.WARN))
          .filter(e -> !e.getLoggerName().startsWith("kafka") && !e.getLoggerName().startsWith("org.apache.kafka"))
          .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage() + " / " + e.getThrowableProxy().getClassName())
          .toList();
      LOGGED.list.clear();
    }
    assertEquals(List.of(), traces, "an ordinary bad request is one line at debug, not a logged stack trace");
  }

  @AfterEach
  void gatewayStillServes() {
    assertEquals(200, Http.get(gw.url("/health/live")).status());
    assertEquals(200, Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("value", 1)).status());
  }

  private static int port() {
    return gw.gateway().port();
  }

  /** A raw answer must be a problem of this status, with all four members and no stack trace. */
  private static JsonObject assertRawProblem(RawHttp.Response r, int status) {
    assertEquals(status, r.status(), r.body());
    assertEquals("application/problem+json", r.header("content-type"), r.headers().toString());
    JsonObject p = new JsonObject(r.body());
    assertEquals(status, p.getInteger("status"));
    for (String member : new String[] {"type", "title", "detail"}) {
      assertTrue(p.getValue(member) instanceof String s && !s.isBlank(), "problem needs '" + member + "': " + p);
    }
    assertFalse(r.body().contains("Exception") || r.body().contains(".java:"), r.body());
    return p;
  }

  private static Http.Response publish(byte[] body, String contentType) {
    return Http.post(gw.url("/topics/" + topic + "/records"), contentType, body);
  }

  @Test
  void tenThousandDeepJsonIs400() {
    String deepArray = "[".repeat(10_000) + "]".repeat(10_000);
    String deepObject = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
    for (String body : new String[] {
        "{\"value\":" + deepArray + "}",
        "{\"records\":[{\"value\":" + deepObject + "}]}",
        deepArray,
        "{\"value\":1,\"headers\":" + deepObject + "}"}) {
      assertProblem(publish(body.getBytes(StandardCharsets.UTF_8), "application/json"), 400);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTF-16", "UTF-16BE", "UTF-16LE", "UTF-32", "UTF-32BE", "UTF-32LE"})
  void jsonThatIsNotUtf8Is415(String charset) {
    byte[] body = "{\"value\":{\"n\":1},\"key\":\"k\"}".getBytes(Charset.forName(charset));
    assertProblem(publish(body, "application/json"), 415, "UTF-8");
    assertProblem(publish(body, "application/json; charset=" + charset.toLowerCase()), 415, "UTF-8");
  }

  @Test
  void aCharsetOtherThanUtf8Is415() {
    assertProblem(publish("{\"value\":1}".getBytes(StandardCharsets.ISO_8859_1), "application/json; charset=iso-8859-1"),
        415, "UTF-8");
    assertEquals(200, publish("{\"value\":1}".getBytes(StandardCharsets.UTF_8), "application/json; charset=UTF-8").status());
  }

  @Test
  void aTimestampKafkaRefusesIs422OnHttpAndWebSocket() {
    long twoHoursAhead = System.currentTimeMillis() + 2 * 3600_000L;
    assertProblem(Http.postJson(gw.url("/topics/" + topic + "/records"),
        new JsonObject().put("value", 1).put("timestamp", twoHoursAhead)), 422, "timestamp");
    assertProblem(Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records",
        new io.vertx.core.json.JsonArray().add(new JsonObject().put("value", 1).put("timestamp", twoHoursAhead)))), 422);

    Vertx vertx = Vertx.vertx();
    try (WsClient ws = WsClient.connect(vertx, gw)) {
      ws.send(new JsonObject().put("type", "publish").put("id", "p1").put("topic", topic).put("value", 1)
          .put("timestamp", twoHoursAhead));
      JsonObject error = ws.awaitType("error", "p1");
      assertEquals(422, error.getInteger("status"), error.encode());
      assertFalse(error.encode().contains("Exception"), error.encode());
    } finally {
      vertx.close();
    }
  }

  @Test
  void aMalformedChunkSizeIs400() {
    try (RawHttp c = new RawHttp(port())) {
      c.send("POST /topics/" + topic + "/records HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{\"value\":1}\r\n0\r\n\r\n");
      assertRawProblem(c.read(), 400);
    }
  }

  @Test
  void aRequestWithoutHostIs400() {
    try (RawHttp c = new RawHttp(port())) {
      c.send("GET /topics/" + topic + " HTTP/1.1\r\n\r\n");
      assertRawProblem(c.read(), 400);
    }
    try (RawHttp c = new RawHttp(port())) {
      c.send("POST /topics/" + topic + "/records HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
          + "{\"value\":1}");
      assertRawProblem(c.read(), 400);
    }
  }

  @Test
  void headersTooLargeIs431Problem() {
    try (RawHttp c = new RawHttp(port())) {
      c.send("GET /topics HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
      assertRawProblem(c.read(), 431);
    }
  }

  @Test
  void aRequestThatIsNotHttpIs400Problem() {
    try (RawHttp c = new RawHttp(port())) {
      c.send("THIS IS NOT HTTP\r\n\r\n");
      assertRawProblem(c.read(), 400);
      assertTrue(c.closedByPeer(), "an unreadable connection is closed");
    }
  }

  @Test
  void uriTooLongIs414Problem() {
    try (RawHttp c = new RawHttp(port())) {
      c.send("GET /topics/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertRawProblem(c.read(), 414);
    }
  }

  @Test
  void aThousandPipelinedGetsAreAllAnsweredInOrder() throws Exception {
    String[] paths = {"/health/live", "/topics/" + topic, "/no/such/path", "/health/ready"};
    int[] expected = {200, 200, 404, 200};
    try (RawHttp c = new RawHttp(port())) {
      StringBuilder all = new StringBuilder();
      for (int i = 0; i < 1000; i++) {
        all.append("GET ").append(paths[i % paths.length]).append(" HTTP/1.1\r\nHost: localhost\r\n\r\n");
      }
      // written from another thread: the answers must be read while the requests are still going out
      CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> c.send(all.toString()));
      for (int i = 0; i < 1000; i++) {
        RawHttp.Response r;
        try {
          r = c.read();
        } catch (RuntimeException e) {
          throw new AssertionError("answer " + i + " of 1000 did not come: " + e, e);
        }
        assertEquals(expected[i % paths.length], r.status(), "answer " + i + " to " + paths[i % paths.length]);
        if (i % paths.length == 1) {
          assertEquals(topic, new JsonObject(r.body()).getString("name"), "answer " + i + " is in order");
        }
      }
      writing.get();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/health/live", "/health/ready", "/topics", "/topics/TOPIC", "/topics/TOPIC/records",
      "/groups", "/metrics", "/stats", "/", "/index.html"})
  void headWorksOnEveryGetRoute(String path) {
    String p = path.replace("TOPIC", topic);
    try (RawHttp c = new RawHttp(port())) {
      c.send("HEAD " + p + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
      RawHttp.Response head = c.read(true);
      assertEquals(200, head.status(), p + " " + head.headers());
      // the API's answers keep their media type; static files (Vert.x Web's StaticHandler) keep their length
      assertNotNull(p.equals("/") || p.endsWith(".html") ? head.header("content-length") : head.header("content-type"),
          head.headers().toString());
      // nothing but headers came back: the next answer on the connection starts right where HEAD's ended
      c.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertEquals(200, c.read().status());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "-2", "-9223372036854775808"})
  void aNegativeFromIs400(String from) {
    assertProblem(Http.get(gw.url("/topics/" + topic + "/records?from=" + from)), 400);
  }

  @Test
  void kafkaMessagesDoNotReachClients() {
    // Kafka's own message for this names the setting as Kafka saw it, with its internal wording
    JsonObject p = assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", uniqueTopic("cfg"))
        .put("configs", new JsonObject().put("no.such.setting", "1"))), 422);
    assertFalse(p.getString("detail").contains("Unknown topic config name"), p.encode());
  }

  @Test
  void aContentLengthOverTheLimitIs413BeforeAnyBodyByte() {
    try (RawHttp c = new RawHttp(port())) {
      c.send("POST /topics/" + topic + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
          + "Content-Length: 100000000000\r\n\r\n");
      assertRawProblem(c.read(), 413);
    }
  }
}
