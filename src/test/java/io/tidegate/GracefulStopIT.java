package io.tidegate;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.readAll;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

@GatewayIT
class GracefulStopIT {

  @Test
  void stoppingWhilePublishingAnswersEveryRequestAndLosesNoAcknowledgedRecord() throws Exception {
    String topic = uniqueTopic("stop");
    createTopic(topic, 3);
    TestGateway gw = TestGateway.start();
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicBoolean run = new AtomicBoolean(true);
    ExecutorService clients = Executors.newFixedThreadPool(16);
    AtomicInteger seq = new AtomicInteger();
    for (int c = 0; c < 16; c++) {
      clients.submit(() -> {
        while (run.get()) {
          String id = "m" + seq.incrementAndGet();
          try {
            Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("key", id).put("value", id));
            answered.incrementAndGet();
            if (r.status() == 200) {
              acked.add(id);
            }
          } catch (RuntimeException e) {
            refused.incrementAndGet(); // the listener is gone: the connection is refused or closed
          }
        }
      });
    }
    Awaits.until("publishing is under way", () -> acked.size() > 200);
    long t0 = System.nanoTime();
    Awaits.result(gw.gateway().stop());
    long stopMs = (System.nanoTime() - t0) / 1_000_000;
    run.set(false);
    clients.shutdown();
    assertTrue(clients.awaitTermination(40, TimeUnit.SECONDS), "no request hangs after the gateway stopped");
    Awaits.result(gw.vertx().close());

    List<ConsumerRecord<byte[], byte[]>> inKafka = readAll(topic, acked.size());
    Set<String> written = new HashSet<>();
    inKafka.forEach(r -> written.add(new String(r.key(), StandardCharsets.UTF_8)));
    Set<String> missing = new HashSet<>(acked);
    missing.removeAll(written);
    assertEquals(Set.of(), missing, "every acknowledged record must be in Kafka after a graceful stop");
    assertTrue(stopMs < gw.config().shutdownTimeout().toMillis() + 2000, "the stop took " + stopMs + " ms");
    assertTrue(answered.get() > 0);
  }
}
