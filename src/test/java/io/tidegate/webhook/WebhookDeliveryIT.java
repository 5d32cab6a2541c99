package io.tidegate.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Webhooks delivering to real receivers (HTTP servers in the test) from the real broker. */
@GatewayIT
class WebhookDeliveryIT {
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

  private static String topic(String prefix, int partitions) {
    String t = KafkaTestClients.uniqueTopic(prefix);
    KafkaTestClients.createTopic(t, partitions);
    return t;
  }

  private static String define(String topic, Receiver rx, JsonObject more) {
    String name = KafkaTestClients.uniqueTopic("hook");
    JsonObject def = new JsonObject().put("name", name).put("topics", new JsonArray().add(topic)).put("url", rx.url())
        .mergeIn(more);
    Http.Response r = Http.postJson(gw.url("/webhooks"), def);
    assertEquals(201, r.status(), r.body());
    return name;
  }

  private static void publish(String topic, JsonObject... records) {
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"),
        new JsonObject().put("records", new JsonArray(List.of((Object[]) records))));
    assertEquals(200, r.status(), r.body());
  }

  private static JsonObject record(String key, Object value) {
    return new JsonObject().put("key", key).put("value", value);
  }

  private static JsonObject status(String name) {
    return Http.get(gw.url("/webhooks/" + name + "/status")).json();
  }

  private static long committedTotal(JsonObject status) {
    return status.getJsonArray("partitions").stream()
        .mapToLong(p -> ((JsonObject) p).getLong("committed") == null ? 0 : ((JsonObject) p).getLong("committed")).sum();
  }

  private static long offsetOf(Receiver.Call c) {
    return c.json().getLong("offset");
  }

  @Test
  void recordIsPostedAsRecordJsonWithAStandardWebhooksSignatureAnIndependentHmacAccepts() throws Exception {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
    String topic = topic("signed", 1);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(204))) {
      String name = define(topic, rx, new JsonObject().put("secret", secret));
      publish(topic, record("u1", new JsonObject().put("id", 7)).put("headers", new JsonObject().put("event-type", "user.created")));
      Awaits.until("the receiver got the record", () -> rx.accepted().size() == 1);
      Receiver.Call c = rx.calls().get(0);
      assertEquals("application/json", c.header("content-type"));
      JsonObject body = c.json();
      assertEquals(topic, body.getString("topic"));
      assertEquals(0L, body.getLong("offset"));
      assertEquals("u1", body.getString("key"));
      assertEquals(new JsonObject().put("id", 7), body.getJsonObject("value"));
      assertEquals("user.created", body.getJsonObject("headers").getString("event-type"));
      String id = c.header("webhook-id");
      assertEquals(topic + "-0-0", id);
      long ts = Long.parseLong(c.header("webhook-timestamp"));
      assertTrue(Math.abs(System.currentTimeMillis() / 1000 - ts) < 120, "timestamp in epoch seconds, now: " + ts);

      // the receiver's check, written from the Standard Webhooks description with nothing of the gateway's code
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      String expected = "v1," + Base64.getEncoder().encodeToString(
          mac.doFinal((id + "." + ts + "." + c.body()).getBytes(StandardCharsets.UTF_8)));
      assertEquals(expected, c.header("webhook-signature"));

      Awaits.until("the offset after the record is committed", () -> committedTotal(status(name)) == 1);
      JsonObject s = status(name);
      assertEquals(1L, s.getLong("delivered"));
      assertEquals(0L, s.getJsonArray("partitions").getJsonObject(0).getLong("lag"));
    }
  }

  @Test
  void plainSecretSignsWithItsUtf8Bytes() throws Exception {
    String secret = "plain-secret-with-ümlauts-1234";
    String topic = topic("plain", 1);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(200))) {
      define(topic, rx, new JsonObject().put("secret", secret));
      publish(topic, new JsonObject().put("key", "k").put("text", "hello"));
      Awaits.until("the receiver got the record", () -> rx.accepted().size() == 1);
      Receiver.Call c = rx.calls().get(0);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      String signed = c.header("webhook-id") + "." + c.header("webhook-timestamp") + "." + c.body();
      assertEquals("v1," + Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8))),
          c.header("webhook-signature"));
      assertEquals("hello", c.json().getString("text"));
    }
  }

  @Test
  void receiverFailingTwiceGetsThreeAttemptsAndTheKeysRecordsStayInOrder() {
    String topic = topic("retry", 1);
    AtomicInteger firstFailures = new AtomicInteger();
    try (Receiver rx = new Receiver(c -> offsetOf(c) == 0 && firstFailures.getAndIncrement() < 2
        ? Receiver.Answer.of(500) : Receiver.Answer.of(200))) {
      String name = define(topic, rx, new JsonObject().put("backoff", new JsonObject().put("initialMs", 200).put("maxMs", 400)));
      publish(topic, record("k", 1), record("k", 2), record("k", 3));
      Awaits.until("three records accepted", () -> rx.accepted().size() == 3);
      Awaits.stays("nothing more arrives", Duration.ofMillis(500), () -> rx.calls().size() == 5);
      List<Long> offsets = rx.calls().stream().map(WebhookDeliveryIT::offsetOf).toList();
      assertEquals(List.of(0L, 0L, 0L, 1L, 2L), offsets, "the key's later records wait for the first: " + offsets);
      assertEquals(List.of(0L, 1L, 2L), rx.accepted().stream().map(WebhookDeliveryIT::offsetOf).toList(),
          "each record delivered once, in offset order");
      assertEquals(1, rx.calls().stream().map(c -> c.header("webhook-id")).filter((topic + "-0-0")::equals).distinct().count(),
          "webhook-id stays the same across retries");
      Awaits.until("all committed", () -> committedTotal(status(name)) == 3);
      JsonObject s = status(name);
      assertEquals(3L, s.getLong("delivered"));
      assertEquals(2L, s.getLong("failed"));
      assertEquals(2L, s.getLong("retries"));
      assertEquals(0L, s.getLong("deadLettered"));
    }
  }

  @Test
  void keyThatAlwaysFailsIsDeadLetteredWithItsHeadersWhileOtherKeysAreDelivered() {
    String topic = topic("dlq", 1);
    try (Receiver rx = new Receiver(c -> "bad".equals(c.key()) ? Receiver.Answer.of(500) : Receiver.Answer.of(200))) {
      String name = define(topic, rx, new JsonObject().put("maxAttempts", 3)
          .put("backoff", new JsonObject().put("initialMs", 400).put("maxMs", 400)));
      publish(topic, record("bad", 0).put("headers", new JsonObject().put("trace", "t0")), record("good", 1),
          record("bad", 2), record("good", 3));
      String dlq = name + ".dlq";
      List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestClients.readAll(dlq, 2);
      assertEquals(2, dead.size(), "both bad records dead-lettered, once each");
      Awaits.until("the good records delivered", () -> rx.accepted().size() == 2);
      assertEquals(List.of(1L, 3L), rx.accepted().stream().map(WebhookDeliveryIT::offsetOf).toList());

      Map<Long, List<Receiver.Call>> badCalls = rx.calls().stream().filter(c -> "bad".equals(c.key()))
          .collect(Collectors.groupingBy(WebhookDeliveryIT::offsetOf));
      assertEquals(3, badCalls.get(0L).size(), "maxAttempts attempts of offset 0");
      assertEquals(3, badCalls.get(2L).size(), "maxAttempts attempts of offset 2");
      long goodAt = rx.accepted().get(0).atMillis();
      assertTrue(goodAt < badCalls.get(0L).get(2).atMillis(), "the good key did not wait for the failing one");

      ConsumerRecord<byte[], byte[]> first = dead.stream().filter(r -> header(r, "tidegate-dlq-offset").equals("0"))
          .findFirst().orElseThrow();
      assertArrayEquals("bad".getBytes(StandardCharsets.UTF_8), first.key());
      assertArrayEquals("0".getBytes(StandardCharsets.UTF_8), first.value());
      assertEquals("t0", header(first, "trace"), "the original headers are kept");
      assertEquals(topic, header(first, "tidegate-dlq-topic"));
      assertEquals("0", header(first, "tidegate-dlq-partition"));
      assertEquals("500", header(first, "tidegate-dlq-status"));
      assertEquals("3", header(first, "tidegate-dlq-attempts"));
      assertTrue(header(first, "tidegate-dlq-error").contains("500"), header(first, "tidegate-dlq-error"));

      Awaits.until("delivery moved on past the dead letters", () -> committedTotal(status(name)) == 4);
      assertEquals(2L, status(name).getLong("deadLettered"));
    }
  }

  @Test
  void retryAfterOfA429IsHonoured() {
    String topic = topic("429", 1);
    try (Receiver rx = new Receiver(c -> new Receiver.Answer(rx0(c) ? 429 : 200, Map.of("Retry-After", "2")))) {
      define(topic, rx, new JsonObject().put("backoff", new JsonObject().put("initialMs", 20).put("maxMs", 40)));
      publish(topic, record("k", 1));
      Awaits.until("delivered after the wait", () -> rx.accepted().size() == 1);
      List<Receiver.Call> calls = rx.calls();
      assertEquals(2, calls.size());
      long waited = calls.get(1).atMillis() - calls.get(0).atMillis();
      assertTrue(waited >= 2000, "the second attempt came " + waited + " ms after a 429 with Retry-After: 2");
    }
  }

  private static final Map<String, AtomicInteger> SEEN = new ConcurrentHashMap<>();

  /** True on the first call for a webhook-id. */
  private static boolean rx0(Receiver.Call c) {
    return SEEN.computeIfAbsent(c.header("webhook-id"), k -> new AtomicInteger()).getAndIncrement() == 0;
  }

  @Test
  void attemptWithoutAnAnswerTimesOutAndIsRetried() {
    String topic = topic("timeout", 1);
    try (Receiver rx = new Receiver(c -> rx0(c) ? Receiver.Answer.of(-1) : Receiver.Answer.of(200))) {
      String name = define(topic, rx, new JsonObject().put("timeoutMs", 500)
          .put("backoff", new JsonObject().put("initialMs", 20).put("maxMs", 40)));
      publish(topic, record("k", 1));
      Awaits.until("delivered after a timeout", () -> rx.accepted().size() == 1);
      List<Receiver.Call> calls = rx.calls();
      assertEquals(2, calls.size());
      assertTrue(calls.get(1).atMillis() - calls.get(0).atMillis() >= 500, "the first attempt was given timeoutMs");
      assertEquals(1.0, gw.gateway().registry().find("tidegate.webhook.failed").tag("webhook", name)
          .tag("status", "timeout").counter().count());
    }
  }

  @Test
  void goneDisablesTheWebhook() {
    String topic = topic("gone", 1);
    try (Receiver rx = new Receiver(c -> Receiver.Answer.of(410))) {
      String name = define(topic, rx, new JsonObject());
      publish(topic, record("k", 1));
      Awaits.until("the webhook is disabled", () -> "disabled".equals(status(name).getString("state")));
      assertTrue(Http.get(gw.url("/webhooks/" + name)).json().getString("disabled").contains("410"));
      publish(topic, record("k", 2));
      Awaits.stays("no more attempts", Duration.ofSeconds(2), () -> rx.calls().size() == 1);
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
