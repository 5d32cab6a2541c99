package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static io.tidegate.testing.ProblemAssert.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Topics whose names start with {@code __} (Kafka's own: group offsets, transactions) are never served: every
 * transport answers 403, whether or not the topic exists, and nothing happens to the topic.
 */
@GatewayIT
class InternalTopicsIT {
  private static final String OFFSETS = "__consumer_offsets";
  static TestGateway gw;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start();
    // a committed group offset makes Kafka create its offsets topic
    String topic = uniqueTopic("internal-seed");
    KafkaTestClients.createTopic(topic, 1);
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaBrokerExtension.bootstrapServers());
    p.put("group.id", uniqueTopic("internal-seed-group"));
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(new TopicPartition(topic, 0)));
      c.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0)), Duration.ofSeconds(30));
    }
    assertTrue(internalTopicExists(), "the offsets topic exists before the tests");
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static boolean internalTopicExists() throws Exception {
    try (Admin admin = KafkaTestClients.admin()) {
      Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
      return names.contains(OFFSETS);
    }
  }

  @Test
  void deleteIs403AndTheTopicStays() throws Exception {
    assertProblem(Http.delete(gw.url("/topics/" + OFFSETS)), 403);
    assertTrue(internalTopicExists(), "Kafka's offsets topic is still there");
  }

  @Test
  void createIs403AndCreatesNothing() throws Exception {
    String name = "__" + uniqueTopic("made-up");
    assertProblem(Http.postJson(gw.url("/topics"), new JsonObject().put("name", name).put("partitions", 1)), 403);
    try (Admin admin = KafkaTestClients.admin()) {
      assertFalse(admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get().contains(name));
    }
  }

  @Test
  void describeRecordsAndPublishAre403WhetherOrNotTheTopicExists() {
    for (String name : List.of(OFFSETS, "__no-such-internal-topic")) {
      JsonObject a = assertProblem(Http.get(gw.url("/topics/" + name)), 403);
      JsonObject b = assertProblem(Http.get(gw.url("/topics/" + name + "/records?from=earliest")), 403);
      assertEquals(a.getString("detail"), b.getString("detail"), "the same answer says nothing about existence");
      assertProblem(Http.postJson(gw.url("/topics/" + name + "/records"), new JsonObject().put("value", 1)), 403);
    }
  }

  @Test
  void theListNeverShowsThem() {
    JsonArray list = Http.get(gw.url("/topics")).jsonArray();
    assertFalse(list.stream().map(JsonObject.class::cast).anyMatch(t -> t.getString("name").startsWith("__")), list.encode());
  }

  @Test
  void webSocketSubscribeGetsA403ErrorFrame() {
    try (WsClient ws = WsClient.connect(gw.vertx(), gw)) {
      ws.send(new JsonObject().put("type", "subscribe").put("id", "s1").put("topics", new JsonArray().add(OFFSETS))
          .put("from", "earliest"));
      JsonObject error = ws.awaitType("error", "s1");
      assertEquals(403, error.getInteger("status"), error.encode());
      ws.send(new JsonObject().put("type", "ping").put("id", "still-open"));
      ws.awaitType("pong", "still-open");
      assertTrue(ws.records().isEmpty(), "no raw group offsets were delivered");
    }
  }

  @Test
  void sseStreamIsRefusedWith403() {
    Http.Response r = Http.get(gw.url("/events?topic=" + OFFSETS + "&from=earliest"));
    assertProblem(r, 403);
  }
}
