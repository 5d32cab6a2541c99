package io.tidegate.transport.http;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@GatewayIT
class TopicApiIT {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  private static void publishValues(String topic, int partition, int from, int to) {
    JsonArray records = new JsonArray();
    IntStream.range(from, to).forEach(i -> records.add(new JsonObject().put("partition", partition).put("value", i)));
    Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
    assertEquals(200, r.status(), r.body());
  }

  @Test
  void createListDescribeDelete() {
    String topic = uniqueTopic("lifecycle");
    Http.Response created = Http.postJson(gw.url("/topics"), new JsonObject().put("name", topic).put("partitions", 4)
        .put("replicationFactor", 1).put("configs", new JsonObject().put("retention.ms", 3_600_000)));
    assertEquals(201, created.status(), created.body());
    assertEquals("/topics/" + topic, created.header("Location"));
    assertEquals(4, created.json().getJsonArray("partitions").size());

    JsonArray list = Http.get(gw.url("/topics")).jsonArray();
    JsonObject listed = list.stream().map(JsonObject.class::cast).filter(t -> t.getString("name").equals(topic))
        .findFirst().orElseThrow(() -> new AssertionError("a created topic is listed"));
    assertEquals(4, listed.getInteger("partitions"));
    assertEquals(1, listed.getInteger("replicationFactor"));

    publishValues(topic, 2, 0, 5);
    JsonObject d = Http.get(gw.url("/topics/" + topic)).json();
    assertEquals(topic, d.getString("name"));
    JsonObject p2 = d.getJsonArray("partitions").getJsonObject(2);
    assertEquals(2, p2.getInteger("partition"));
    assertEquals(1, p2.getInteger("leader"));
    assertEquals(new JsonArray().add(1), p2.getJsonArray("replicas"));
    assertEquals(new JsonArray().add(1), p2.getJsonArray("isr"));
    assertEquals(0L, p2.getLong("beginOffset"));
    assertEquals(5L, p2.getLong("endOffset"));
    assertEquals(0L, d.getJsonArray("partitions").getJsonObject(0).getLong("endOffset"));

    assertEquals(204, Http.delete(gw.url("/topics/" + topic)).status());
    Awaits.until("the deleted topic is gone", () -> Http.get(gw.url("/topics/" + topic)).status() == 404);
    assertFalse(Http.get(gw.url("/topics")).body().contains("\"" + topic + "\""));
    Awaits.until("publishing to a deleted topic answers 404", () ->
        Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("value", 1)).status() == 404);
  }

  /**
   * The describe that answers a create may reach a broker whose metadata has not caught up with the controller
   * (in a cluster of several, and briefly even in one): the answer is still the 201 with every partition.
   */
  @Test
  void everyCreateAnswers201WithItsPartitionsEvenManyAtOnce() {
    List<String> names = IntStream.range(0, 40).mapToObj(i -> uniqueTopic("created")).toList();
    List<Http.Response> answers = names.parallelStream()
        .map(n -> Http.postJson(gw.url("/topics"), new JsonObject().put("name", n).put("partitions", 3)))
        .toList();
    for (int i = 0; i < names.size(); i++) {
      Http.Response r = answers.get(i);
      assertEquals(201, r.status(), names.get(i) + ": " + r.body());
      assertEquals(3, r.json().getJsonArray("partitions").size(), r.body());
    }
  }

  @Test
  void historyPagesFollowTheQuery() {
    String topic = uniqueTopic("history");
    createTopic(topic, 2);
    publishValues(topic, 0, 0, 30);
    publishValues(topic, 1, 100, 110);

    JsonObject all = Http.get(gw.url("/topics/" + topic + "/records?from=earliest&limit=1000")).json();
    assertEquals(40, all.getJsonArray("records").size());
    assertEquals(new JsonObject().put("0", 30).put("1", 10), all.getJsonObject("next"));

    JsonObject page = Http.get(gw.url("/topics/" + topic + "/records?partition=0&offset=10&limit=5")).json();
    JsonArray records = page.getJsonArray("records");
    assertEquals(List.of(10L, 11L, 12L, 13L, 14L), records.stream().map(o -> ((JsonObject) o).getLong("offset")).toList());
    assertEquals(10, records.getJsonObject(0).getInteger("value"));
    JsonObject first = records.getJsonObject(0);
    for (String f : new String[] {"topic", "partition", "offset", "timestamp", "key", "headers", "value"}) {
      assertTrue(first.containsKey(f), "a record has '" + f + "': " + first);
    }
    assertEquals(15L, page.getJsonObject("next").getLong("0"));

    JsonArray latest = Http.get(gw.url("/topics/" + topic + "/records?from=latest&partition=0&limit=3")).json().getJsonArray("records");
    assertEquals(List.of(27L, 28L, 29L), latest.stream().map(o -> ((JsonObject) o).getLong("offset")).toList());

    long future = System.currentTimeMillis() + 3_600_000;
    assertEquals(0, Http.get(gw.url("/topics/" + topic + "/records?from=" + future)).json().getJsonArray("records").size());
    long ts = all.getJsonArray("records").stream().map(JsonObject.class::cast)
        .filter(r -> r.getInteger("partition") == 1).mapToLong(r -> r.getLong("timestamp")).min().orElseThrow();
    JsonArray fromTime = Http.get(gw.url("/topics/" + topic + "/records?from=" + ts + "&partition=1")).json().getJsonArray("records");
    assertEquals(10, fromTime.size());
  }

  @Test
  void groupsShowCommittedOffsetsAndLag() {
    String topic = uniqueTopic("lag");
    createTopic(topic, 2);
    publishValues(topic, 0, 0, 10);
    publishValues(topic, 1, 0, 4);
    String group = uniqueTopic("billing");
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaBrokerExtension.bootstrapServers());
    p.put("group.id", group);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1)));
      c.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(7),
          new TopicPartition(topic, 1), new OffsetAndMetadata(4)), Duration.ofSeconds(10));
    }
    JsonObject g = Http.get(gw.url("/groups")).jsonArray().stream().map(JsonObject.class::cast)
        .filter(o -> o.getString("group").equals(group)).findFirst().orElseThrow(() -> new AssertionError("group listed"));
    assertEquals(3L, g.getLong("lag"));
    JsonObject p0 = g.getJsonArray("partitions").getJsonObject(0);
    assertEquals(topic, p0.getString("topic"));
    assertEquals(7L, p0.getLong("committed"));
    assertEquals(10L, p0.getLong("end"));
    assertEquals(3L, p0.getLong("lag"));
    assertEquals(0L, g.getJsonArray("partitions").getJsonObject(1).getLong("lag"));
  }

  @Test
  void healthAndMetricsAnswer() {
    Http.Response live = Http.get(gw.url("/health/live"));
    assertEquals(200, live.status());
    Http.Response ready = Http.get(gw.url("/health/ready"));
    assertEquals(200, ready.status());
    assertEquals("UP", ready.json().getString("status"));
    String metrics = Http.get(gw.url("/metrics")).body();
    assertTrue(metrics.contains("tidegate_publish_records_total"), "publish counters are exported");
    assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM memory is exported");
  }
}
