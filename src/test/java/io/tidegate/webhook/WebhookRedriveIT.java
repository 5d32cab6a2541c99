package io.tidegate.webhook;

import static io.tidegate.testing.ProblemAssert.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /webhooks/{name}/redrive} and the lag gauge, with real receivers and the real broker. */
@GatewayIT
class WebhookRedriveIT {
  private static final String SECRET = "redrive-secret-of-some-length";
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject());
    Awaits.until("the webhook definitions are read", () -> Http.get(gw.url("/webhooks")).status() == 200);
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  /** A webhook that tries each record once (so it is dead-lettered at the first failure), signed. */
  private static String define(String topic, Receiver rx, int maxAttempts) {
    return define(topic, rx, maxAttempts, 10_000);
  }

  private static String define(String topic, Receiver rx, int maxAttempts, long timeoutMs) {
    String name = KafkaTestClients.uniqueTopic("redrive");
    JsonObject def = new JsonObject().put("name", name).put("topics", new JsonArray().add(topic)).put("url", rx.url())
        .put("secret", SECRET).put("maxAttempts", maxAttempts).put("timeoutMs", timeoutMs)
        .put("backoff", new JsonObject().put("initialMs", 100).put("maxMs", 100));
    Http.Response r = Http.postJson(gw.url("/webhooks"), def);
    assertEquals(201, r.status(), r.body());
    return name;
  }

  private static String topic(int partitions) {
    String t = KafkaTestClients.uniqueTopic("redriven");
    KafkaTestClients.createTopic(t, partitions);
    return t;
  }

  private static void publish(String topic, JsonObject... records) {
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"),
        new JsonObject().put("records", new JsonArray(List.of((Object[]) records))));
    assertEquals(200, r.status(), r.body());
  }

  private static JsonObject status(String name) {
    Http.Response r = Http.get(gw.url("/webhooks/" + name + "/status"));
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static JsonObject redriveStatus(String name) {
    return status(name).getJsonObject("redrive");
  }

  private static JsonObject redrive(String name) {
    Http.Response r = Http.postJson(gw.url("/webhooks/" + name + "/redrive"), new JsonObject());
    assertEquals(202, r.status(), r.body());
    return r.json();
  }

  private static void awaitRedriveDone(String name) {
    Awaits.until("the redrive of " + name + " is done", Duration.ofSeconds(60),
        () -> "done".equals(redriveStatus(name).getString("state")));
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static String sign(Receiver.Call c) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signed = c.header("webhook-id") + "." + c.header("webhook-timestamp") + "." + c.body();
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void redriveDeliversEachDeadLetterOnceWithItsOriginalIdAndBodyAndASecondRedriveSendsNothing() throws Exception {
    String topic = topic(2);
    AtomicInteger answer = new AtomicInteger(500);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(answer.get()))) {
      String name = define(topic, rx, 1);
      publish(topic, new JsonObject().put("key", "a").put("value", 1).put("headers", new JsonObject().put("trace", "t1")),
          new JsonObject().put("key", "b").put("value", 2), new JsonObject().put("key", "c").put("value", 3),
          new JsonObject().put("key", "a").put("value", 4));
      Awaits.until("four records dead-lettered", () -> status(name).getLong("deadLettered") == 4);
      Awaits.until("four dead letters waiting for a redrive", () -> redriveStatus(name).getLong("waiting") == 4);
      assertEquals("idle", redriveStatus(name).getString("state"));
      Map<String, String> failedBodies = rx.calls().stream()
          .collect(Collectors.toMap(c -> c.header("webhook-id"), Receiver.Call::body));
      assertEquals(4, failedBodies.size());
      assertEquals(500, status(name).getJsonObject("lastError").getInteger("status"));

      answer.set(204);
      assertEquals(4L, redrive(name).getLong("redriving"));
      Awaits.until("the receiver accepted the four dead letters", () -> rx.accepted().size() == 4);
      awaitRedriveDone(name);
      JsonObject done = redriveStatus(name);
      assertEquals(4L, done.getLong("redriven"));
      assertEquals(0L, done.getLong("failed"));
      assertEquals(0L, done.getLong("pending"));
      Awaits.until("no dead letter waits", () -> redriveStatus(name).getLong("waiting") == 0);

      Map<String, List<Receiver.Call>> byId = rx.accepted().stream()
          .collect(Collectors.groupingBy(c -> c.header("webhook-id")));
      assertEquals(failedBodies.keySet(), byId.keySet(), "the original webhook-ids, each once");
      for (Receiver.Call c : rx.accepted()) {
        assertEquals(failedBodies.get(c.header("webhook-id")), c.body(),
            "the same record JSON as the first delivery (topic, partition, offset, timestamp, key, value, headers)");
        assertEquals(sign(c), c.header("webhook-signature"), "signed as the webhook signs");
      }
      List<Long> keyA = rx.accepted().stream().filter(c -> "a".equals(c.key()))
          .map(c -> c.json().getLong("value")).toList();
      assertEquals(List.of(1L, 4L), keyA, "a key's dead letters in their order");
      assertEquals("t1", rx.accepted().stream().filter(c -> c.json().getLong("value") == 1).findFirst().orElseThrow()
          .json().getJsonObject("headers").getString("trace"));

      // a second redrive starts where the first ended: nothing to send
      assertEquals(0L, redrive(name).getLong("redriving"));
      awaitRedriveDone(name);
      Awaits.stays("nothing is sent again", Duration.ofMillis(1500), () -> rx.calls().size() == 8);
      assertEquals(0L, redriveStatus(name).getLong("redriven"));
    }
  }

  @Test
  void deadLettersThatFailAgainGoBackToTheDeadLetterTopicWithTheirAttemptsAndTheNextRedriveTakesThem() {
    String topic = topic(1);
    AtomicInteger answer = new AtomicInteger(503);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(answer.get()))) {
      String name = define(topic, rx, 2);
      publish(topic, new JsonObject().put("key", "x").put("value", 1), new JsonObject().put("key", "y").put("value", 2));
      Awaits.until("two records dead-lettered", () -> status(name).getLong("deadLettered") == 2);

      assertEquals(2L, redrive(name).getLong("redriving"));
      awaitRedriveDone(name);
      JsonObject done = redriveStatus(name);
      assertEquals(0L, done.getLong("redriven"));
      assertEquals(2L, done.getLong("failed"));
      assertEquals(8, rx.calls().size(), "two attempts each, first delivery and redrive");

      List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestClients.readAll(name + ".dlq", 4);
      assertEquals(4, dead.size(), "the two dead letters written back once each");
      assertEquals(2, dead.stream().filter(r -> "2".equals(header(r, "tidegate-dlq-attempts"))).count(),
          "the first two, as delivery wrote them: " + dead.stream().map(r -> header(r, "tidegate-dlq-attempts")).toList());
      List<ConsumerRecord<byte[], byte[]>> written = dead.stream()
          .filter(r -> !"2".equals(header(r, "tidegate-dlq-attempts"))).toList();
      assertEquals(2, written.size());
      for (ConsumerRecord<byte[], byte[]> again : written) {
        assertEquals(topic, header(again, "tidegate-dlq-topic"), "the first source is kept");
        assertEquals("0", header(again, "tidegate-dlq-partition"));
        assertEquals("4", header(again, "tidegate-dlq-attempts"), "the attempts of both tries");
        assertEquals("503", header(again, "tidegate-dlq-status"));
        assertEquals(1, countHeaders(again, "tidegate-dlq-offset"), "one set of dlq headers, not two");
      }
      assertEquals(Set.of("0", "1"), written.stream().map(r -> header(r, "tidegate-dlq-offset"))
          .collect(Collectors.toSet()));
      Awaits.until("the two written back wait for a redrive", () -> redriveStatus(name).getLong("waiting") == 2);

      answer.set(200);
      assertEquals(2L, redrive(name).getLong("redriving"), "only those written back");
      awaitRedriveDone(name);
      assertEquals(Set.of(topic + "-0-0", topic + "-0-1"),
          rx.accepted().stream().map(c -> c.header("webhook-id")).collect(Collectors.toSet()));
      assertEquals(2, rx.accepted().size());
      String metrics = Http.get(gw.url("/metrics")).body();
      assertTrue(metrics.contains("tidegate_webhook_redriven_total{webhook=\"" + name + "\"} 2.0"), "redriven on /metrics");
    }
  }

  private static int countHeaders(ConsumerRecord<byte[], byte[]> r, String name) {
    int n = 0;
    for (Header h : r.headers().headers(name)) {
      n++;
    }
    return n;
  }

  @Test
  void redriveOfAnUnknownWebhookIs404AndOfOneRunningOnThisGatewayIs409() {
    assertProblem(Http.postJson(gw.url("/webhooks/no-such-hook/redrive"), new JsonObject()), 404);

    String topic = topic(1);
    AtomicInteger answer = new AtomicInteger(500);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(answer.get()))) {
      String name = define(topic, rx, 1, 120_000);
      publish(topic, new JsonObject().put("key", "h").put("value", 1));
      Awaits.until("the record dead-lettered", () -> status(name).getLong("deadLettered") == 1);
      answer.set(-1); // the receiver now hangs: the redrive waits on it
      int before = rx.calls().size();
      assertEquals(1L, redrive(name).getLong("redriving"));
      Awaits.until("the redrive is sending", () -> rx.calls().size() > before);
      assertEquals("running", redriveStatus(name).getString("state"));
      assertEquals(1L, redriveStatus(name).getLong("pending"));
      assertProblem(Http.postJson(gw.url("/webhooks/" + name + "/redrive"), new JsonObject()), 409);
      assertEquals(204, Http.delete(gw.url("/webhooks/" + name)).status());
      assertProblem(Http.postJson(gw.url("/webhooks/" + name + "/redrive"), new JsonObject()), 404);
    }
  }

  @Test
  void redriveOfADisabledWebhookIs409() {
    String topic = topic(1);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(410))) {
      String name = define(topic, rx, 3);
      publish(topic, new JsonObject().put("key", "g").put("value", 1));
      Awaits.until("the webhook is disabled by the 410", () -> "disabled".equals(status(name).getString("state")));
      assertProblem(Http.postJson(gw.url("/webhooks/" + name + "/redrive"), new JsonObject()), 409);
      assertEquals("idle", redriveStatus(name).getString("state"));
    }
  }

  @Test
  void lagGaugeRisesWhileTheReceiverIsDownAndFallsToZeroAfter() {
    String topic = topic(2);
    AtomicInteger answer = new AtomicInteger(503);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(answer.get()))) {
      String name = define(topic, rx, 1000);
      for (int i = 0; i < 5; i++) {
        publish(topic, new JsonObject().put("key", "k" + i).put("value", i));
      }
      Awaits.until("the lag gauge shows the five records", () -> lag(name) == 5);
      assertEquals(5L, status(name).getLong("lag"));
      String metrics = Http.get(gw.url("/metrics")).body();
      assertTrue(metrics.contains("tidegate_webhook_lag{webhook=\"" + name + "\"} 5.0"), "the gauge on /metrics");
      answer.set(200);
      Awaits.until("the five delivered", () -> rx.accepted().size() == 5);
      Awaits.until("the lag gauge falls to 0", () -> lag(name) == 0);
      assertEquals(0L, status(name).getLong("lag"));
    }
  }

  private static double lag(String name) {
    Gauge g = gw.gateway().registry().find("tidegate.webhook.lag").tag("webhook", name).gauge();
    return g == null ? -1 : g.value();
  }
}
