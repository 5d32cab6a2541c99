package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** WebSocket publish writes the client's bytes, as HTTP publish does, and one frame is one record. */
@GatewayIT
class WsPublishIT {
  static TestGateway gw;
  static Vertx clients;

  @BeforeAll
  static void start() {
    gw = TestGateway.start();
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Awaits.result(clients.close());
    gw.close();
  }

  @Test
  void aPublishedValueKeepsItsExactBytes() {
    String topic = uniqueTopic("ws-bytes");
    createTopic(topic, 1);
    String value = "{\"n\":12345678901234567890,\"p\":1.10, \"e\":1E+2,\"s\":\"\\u00e9\"}";
    try (WsClient c = WsClient.connect(clients, gw)) {
      c.sendText("{\"type\":\"publish\",\"id\":\"p\",\"topic\":\"" + topic + "\",\"key\":\"k\",\"value\":" + value + "}");
      c.awaitType("ack", "p");
      c.sendText("{\"id\":\"q\",\"value\":3.140,\"topic\":\"" + topic + "\",\"type\":\"publish\"}");
      c.awaitType("ack", "q");
    }
    List<ConsumerRecord<byte[], byte[]>> read = KafkaTestClients.readAll(topic, 2);
    assertEquals(2, read.size());
    assertEquals(value, new String(read.get(0).value(), StandardCharsets.UTF_8));
    assertEquals("k", new String(read.get(0).key(), StandardCharsets.UTF_8));
    assertEquals("3.140", new String(read.get(1).value(), StandardCharsets.UTF_8));
  }

  @Test
  void aPublishCarryingRecordsIsRefusedAndWritesNothing() {
    String topic = uniqueTopic("ws-records");
    createTopic(topic, 1);
    try (WsClient c = WsClient.connect(clients, gw)) {
      c.sendText("{\"type\":\"publish\",\"id\":\"r\",\"topic\":\"" + topic + "\",\"records\":[{\"value\":1},{\"value\":2}]}");
      JsonObject e = c.awaitType("error", "r");
      assertEquals(400, e.getInteger("status"), e.encode());
      c.sendText("{\"type\":\"publish\",\"id\":\"ok\",\"topic\":\"" + topic + "\",\"value\":3}");
      c.awaitType("ack", "ok");
    }
    assertEquals(1L, KafkaTestClients.endOffsetSum(topic, 1), "only the single record was written");
  }
}
