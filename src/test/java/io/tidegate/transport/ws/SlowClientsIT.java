package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A thousand sockets that never read cost bounded memory, and the sockets that do read keep up. */
@GatewayIT
class SlowClientsIT {
  // Small, so that 1,000 stuck sockets reach it quickly; large enough that a reading socket on this busy JVM
  // (gateway, broker and 1,005 clients on two cores) is not mistaken for a slow one.
  private static final int BUDGET = 256 * 1024;
  private static final int IDLE = 1000;

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * Publishes as a client should: a 503 (on a starved machine the gateway's health probe can time out, and
   * publishing then fails fast) is retried after its Retry-After. What this test checks is delivery and memory.
   */
  private static void publish(TestGateway gw, String topic, JsonArray records) {
    for (int attempt = 1; ; attempt++) {
      Http.Response r = Http.postJson(gw.url("/topics/" + topic + "/records"), new JsonObject().put("records", records));
      if (r.status() != 503 || attempt == 10) {
        assertEquals(200, r.status(), r.body());
        return;
      }
      String after = r.header("Retry-After");
      Awaits.until("Retry-After passes", java.time.Duration.ofSeconds(60), waited(after == null ? 1 : Integer.parseInt(after)));
    }
  }

  private static java.util.function.BooleanSupplier waited(int seconds) {
    long until = System.nanoTime() + java.time.Duration.ofSeconds(seconds).toNanos();
    return () -> System.nanoTime() >= until;
  }

  @Test
  void aThousandSocketsThatNeverReadCostBoundedMemoryAndReadersGetEverything() {
    String topic = uniqueTopic("idle");
    createTopic(topic, 3);
    Vertx clients = Vertx.vertx();
    List<WsClient> idle = new ArrayList<>();
    List<WsClient> readers = new ArrayList<>();
    try (TestGateway gw = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("budgetBytes", BUDGET)))) {
      JsonObject subscribe = new JsonObject().put("type", "subscribe").put("id", "s")
          .put("topics", new JsonArray().add(topic)).put("from", "latest");
      for (int i = 0; i < 5; i++) {
        readers.add(WsClient.connect(clients, gw).send(subscribe));
      }
      for (int i = 0; i < IDLE; i++) {
        // A small receive window, as a phone on a slow link has: what they do not take stays in the gateway
        // (where the budget counts it) instead of filling the loopback's kernel buffers. A thousand stuck
        // sockets with auto-tuned megabyte buffers would put the kernel's TCP memory under pressure, which
        // slows every socket on the machine, the readers included.
        idle.add(WsClient.connect(clients, gw, 2 * 1024 * 1024, 4096).send(subscribe));
      }
      readers.forEach(r -> r.awaitType("subscribed", "s"));
      Awaits.until("every idle socket subscribed", () -> gw.gauge("tidegate.ws.sessions") == IDLE + 5);
      idle.forEach(c -> c.awaitType("subscribed", "s"));
      idle.forEach(c -> c.socket().pause()); // from now on they read nothing
      long before = heapAfterGc();

      String pad = "z".repeat(2000);
      int total = 0;
      for (int batch = 0; batch < 40; batch++) {
        JsonArray records = new JsonArray();
        for (int i = 0; i < 100; i++) {
          records.add(new JsonObject().put("value", new JsonObject().put("n", total++).put("pad", pad)));
        }
        publish(gw, topic, records);
      }
      for (WsClient r : readers) {
        r.awaitRecords(total);
        Set<Integer> seen = new HashSet<>();
        r.records().forEach(rec -> seen.add(rec.getJsonObject("value").getInteger("n")));
        assertEquals(total, seen.size(), "a reading socket gets every record while a thousand others are stuck");
      }
      long grown = heapAfterGc() - before;
      long bound = (long) IDLE * BUDGET + 64L * 1024 * 1024;
      assertTrue(grown < bound, "heap grew " + grown / 1024 + " KiB with " + IDLE + " stuck sockets; bound "
          + bound / 1024 + " KiB (their budgets plus 64 MiB)");
    } finally {
      idle.forEach(WsClient::close);
      readers.forEach(WsClient::close);
      Awaits.result(clients.close());
    }
  }
}
