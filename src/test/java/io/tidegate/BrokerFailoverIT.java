package io.tidegate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tidegate.testing.BlockedThreadGuard;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaCluster;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tidegate in front of a real 3-broker KRaft cluster (three JVMs, replication 3, min.insync.replicas 2).
 */
@ExtendWith(BlockedThreadGuard.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrokerFailoverIT {
  private static KafkaCluster cluster;

  @BeforeAll
  static void startCluster() {
    long t0 = System.nanoTime();
    cluster = KafkaCluster.start();
    System.out.printf("3-broker cluster at %s up in %d ms%n", cluster.bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The describe after a create may reach a broker that has not caught up: the answer is still 201, never 404. */
  @Test
  @Order(1)
  void aTopicJustCreatedIsAnswered201AndFoundRightAfter() {
    try (TestGateway gw = TestGateway.start(cluster.bootstrapServers(), new JsonObject())) {
      for (int i = 0; i < 20; i++) {
        String name = "created-" + i + "-" + System.nanoTime();
        Http.Response created = Http.postJson(gw.url("/topics"), new JsonObject().put("name", name).put("partitions", 4));
        assertEquals(201, created.status(), "create #" + i + ": " + created.body());
        JsonObject body = created.json();
        assertEquals(name, body.getString("name"), created.body());
        assertEquals(4, body.getJsonArray("partitions").size(), created.body());
        assertEquals(3, body.getJsonArray("partitions").getJsonObject(0).getJsonArray("replicas").size(), created.body());
        Http.Response got = Http.get(gw.url("/topics/" + name));
        assertEquals(200, got.status(), "GET right after create #" + i + ": " + got.body());
      }
    }
  }
}
