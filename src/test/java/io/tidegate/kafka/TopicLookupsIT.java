package io.tidegate.kafka;

import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.config.ConfigParser;
import io.tidegate.config.TidegateConfig;
import io.tidegate.error.ApiError;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.KafkaTestClients;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClient;
import org.junit.jupiter.api.Test;

/** lookupAll against the real broker: one batched request for many names, and a lane that refuses excess at once. */
@GatewayIT
class TopicLookupsIT {

  private static double requestsSent(AdminClient admin) {
    return admin.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals("request-total") && e.getKey().group().equals("admin-client-metrics"))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
  }

  @Test
  void manyNamesAreLookedUpInOneBatchAndUnknownOnesAreAbsent() throws Exception {
    String a = uniqueTopic("lookup-a");
    String b = uniqueTopic("lookup-b");
    KafkaTestClients.createTopic(a, 2);
    KafkaTestClients.createTopic(b, 3);
    Vertx vertx = Vertx.vertx();
    AdminClient kafka = AdminClient.create(Map.of("bootstrap.servers", KafkaBrokerExtension.bootstrapServers()));
    try (AdminLane lane = new AdminLane(vertx, "test", kafka, 4)) {
      TidegateConfig.Kafka config = ConfigParser.parse(new JsonObject().put("kafka",
          new JsonObject().put("bootstrapServers", KafkaBrokerExtension.bootstrapServers()))).kafka();
      TopicService topics = new TopicService(vertx, lane, lane, config);
      List<String> names = new ArrayList<>(List.of(a, b));
      for (int i = 0; i < 2000; i++) {
        names.add(uniqueTopic("lookup-unknown"));
      }
      Awaits.result(onContext(vertx, () -> topics.lookup(a))); // connections made, metadata known
      double before = requestsSent(kafka);
      Map<String, TopicInfo> found = Awaits.result(onContext(vertx, () -> topics.lookupAll(names)));
      double sent = requestsSent(kafka) - before;
      assertEquals(Map.of(a, new TopicInfo(a, 2), b, new TopicInfo(b, 3)), found);
      assertTrue(sent >= 1 && sent < 20, "2002 names took " + sent + " requests, not one each");
    } finally {
      Awaits.result(vertx.close());
    }
  }

  @Test
  void aFullLaneRefusesAtOnceWith503() throws Exception {
    Vertx vertx = Vertx.vertx();
    AdminClient kafka = AdminClient.create(Map.of("bootstrap.servers", KafkaBrokerExtension.bootstrapServers()));
    try (AdminLane lane = new AdminLane(vertx, "test", kafka, 2)) {
      Promise<Void> hold = Promise.promise();
      lane.run(hold::future);
      lane.run(hold::future);
      Future<Void> third = lane.run(() -> Future.succeededFuture());
      assertTrue(third.failed() && third.cause() instanceof ApiError e && e.status() == 503 && e.retryAfterSeconds() > 0,
          String.valueOf(third.cause()));
      hold.complete();
      assertEquals(0, lane.inFlight());
      assertTrue(lane.run(() -> Future.succeededFuture()).succeeded(), "places are given back");
    } finally {
      Awaits.result(vertx.close());
    }
  }

  private static <T> Future<T> onContext(Vertx vertx, java.util.function.Supplier<Future<T>> call) {
    Promise<T> p = Promise.promise();
    vertx.runOnContext(v -> call.get().onComplete(p));
    return p.future();
  }
}
