package io.tidegate.ops;

import static io.tidegate.testing.ProblemAssert.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.embedded.EmbeddedKafka;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.BlockedThreadGuard;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With its own broker (so it can stop it): while Kafka is gone, publishing answers 503 with Retry-After within
 * the configured time and readiness is false; both recover when Kafka is back.
 */
@ExtendWith(BlockedThreadGuard.class)
class KafkaOutageIT {
  private static final int PUBLISH_TIMEOUT_MS = 2000;

  /** A broker of this test's own (so it can be stopped), with one single-partition topic. */
  private static EmbeddedKafka brokerWithTopic(String topic) throws Exception {
    EmbeddedKafka kafka = new EmbeddedKafka(0, Path.of("target", "outage-kafka-" + System.nanoTime())).start();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    return kafka;
  }

  @Test
  void publishAnswers503AndReadinessTurnsFalseWhileKafkaIsDownThenBothRecover() throws Exception {
    EmbeddedKafka kafka = brokerWithTopic("outage");
    JsonObject overrides = new JsonObject()
        .put("publish", new JsonObject().put("timeoutMs", PUBLISH_TIMEOUT_MS))
        .put("kafka", new JsonObject().put("requestTimeoutMs", 1000));
    try (TestGateway gw = TestGateway.start(kafka.bootstrapServers(), overrides)) {
      String url = gw.url("/topics/outage/records");
      assertEquals(200, Http.postJson(url, new JsonObject().put("value", "before")).status());
      assertEquals(200, Http.get(gw.url("/health/ready")).status());

      kafka.stop();

      // Whether or not the health probe has noticed yet, the answer comes within the publish timeout.
      long t0 = System.nanoTime();
      Http.Response during = Http.postJson(url, new JsonObject().put("value", "during"));
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      JsonObject problem = assertProblem(during, 503);
      assertNotNull(during.header("Retry-After"), "a 503 says when to retry");
      assertTrue(elapsedMs < PUBLISH_TIMEOUT_MS + 1500, "answered in " + elapsedMs + " ms, over the publish timeout");
      assertTrue(problem.getString("detail").contains("Kafka"), problem.encode());

      Awaits.until("readiness turns false", Duration.ofSeconds(15), () -> Http.get(gw.url("/health/ready")).status() == 503);
      long t1 = System.nanoTime();
      Http.Response fast = Http.postJson(url, new JsonObject().put("value", "known-down"));
      assertProblem(fast, 503);
      assertTrue((System.nanoTime() - t1) / 1_000_000 < 1000, "once Kafka is known down, 503 comes at once");
      assertEquals("true", String.valueOf(Integer.parseInt(fast.header("Retry-After")) > 0));
      assertEquals(200, Http.get(gw.url("/health/live")).status(), "the gateway itself stays alive");

      kafka.start();

      Awaits.until("readiness turns true again", Duration.ofSeconds(60), () -> Http.get(gw.url("/health/ready")).status() == 200);
      Awaits.until("publishing works again", Duration.ofSeconds(60),
          () -> Http.postJson(url, new JsonObject().put("value", "after")).status() == 200);
    } finally {
      kafka.stop();
    }
  }

  @Test
  void adminAnswersWhileKafkaIsDownSayWhatToDoNotWhichInternalCallFailed() throws Exception {
    EmbeddedKafka kafka = brokerWithTopic("admin-outage");
    JsonObject overrides = new JsonObject().put("kafka", new JsonObject().put("requestTimeoutMs", 1000));
    try (TestGateway gw = TestGateway.start(kafka.bootstrapServers(), overrides)) {
      assertEquals(200, Http.get(gw.url("/topics/admin-outage")).status());
      kafka.stop();
      for (String path : List.of("/topics/admin-outage", "/topics", "/groups", "/topics/not-looked-up/records")) {
        long t0 = System.nanoTime();
        Http.Response r = Http.get(gw.url(path));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        JsonObject problem = assertProblem(r, 503);
        assertNotNull(r.header("Retry-After"), path + ": a 503 says when to retry");
        String detail = problem.getString("detail");
        assertTrue(detail.contains("retry"), path + ": the detail says what to do: " + detail);
        assertFalse(detail.contains("Call:") || detail.contains("node assignment") || detail.contains("listOffsets"),
            path + ": the detail names no internal admin call: " + detail);
        assertTrue(ms < 10_000, path + " answered in " + ms + " ms");
      }
    } finally {
      kafka.stop();
    }
  }

  @Test
  void aRetryWithTheSameIdempotencyKeyAnswersTheLateOutcomeOfATimedOutPublish() throws Exception {
    EmbeddedKafka kafka = brokerWithTopic("late");
    // The probe is slow on purpose: the publish must reach the producer, not be refused up front.
    JsonObject overrides = new JsonObject()
        .put("publish", new JsonObject().put("timeoutMs", PUBLISH_TIMEOUT_MS))
        .put("health", new JsonObject().put("probeIntervalMs", 600_000));
    try (TestGateway gw = TestGateway.start(kafka.bootstrapServers(), overrides)) {
      String url = gw.url("/topics/late/records");
      assertEquals(200, Http.postJson(url, new JsonObject().put("value", "before")).status());
      kafka.stop();
      Http.Response timedOut = Http.postJson(url, new JsonObject().put("value", "late"), "Idempotency-Key", "late-1");
      assertProblem(timedOut, 503);
      kafka.start();
      Http.Response[] replay = new Http.Response[1];
      Awaits.until("the retry answers the first attempt's real outcome", Duration.ofSeconds(60), () -> {
        replay[0] = Http.postJson(url, new JsonObject().put("value", "late"), "Idempotency-Key", "late-1");
        return replay[0].status() == 200;
      });
      assertEquals(1L, replay[0].json().getJsonArray("results").getJsonObject(0).getLong("offset"),
          "the record the first attempt handed to Kafka");
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        long end = admin.listOffsets(Map.of(new org.apache.kafka.common.TopicPartition("late", 0),
            org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get().values().iterator().next().offset();
        assertEquals(2L, end, "written once, although the client sent it twice");
      }
    } finally {
      kafka.stop();
    }
  }
}
