package io.tidegate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.FailoverLoad.Outcome;
import io.tidegate.testing.Awaits;
import io.tidegate.testing.BlockedThreadGuard;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaCluster;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tidegate in front of a real 3-broker KRaft cluster (three JVMs, replication 3, min.insync.replicas 2): topics it
 * creates are found at once, and under continuous publishing the broker leading most partitions is SIGKILLed and
 * restarted, twice, without losing or reordering an acknowledged record or a live subscriber's record.
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

  private static final int PARTITIONS = 6;
  private static final int PUBLISH_TIMEOUT_MS = 5000;
  /** Beyond publish.timeoutMs, what a busy machine may add before an answer is written. */
  private static final int ANSWER_MARGIN_MS = 5000;
  /** How long a killed broker stays down after its partitions have new leaders. */
  private static final Duration DOWN = Duration.ofSeconds(3);
  /** A Java class name (org.apache.kafka.common.errors.TimeoutException) or a Kafka admin call's name. */
  private static final Pattern INTERNAL = Pattern.compile("Call:|\\b[a-z]+(\\.[a-z0-9]+)+\\.[A-Z]\\w*|Exception");

  /** One kill: when (test clock, ms), which broker, when its partitions had new leaders, when all ISRs were full. */
  private record Kill(int broker, long killedMs, long leadersMs, long restartedMs, long fullIsrMs) {
  }

  @Test
  @Order(2)
  void killingTheLeadingBrokerTwiceLosesNoAcknowledgedRecordAndNoLiveRecord() throws Exception {
    String topic = "failover-" + System.nanoTime();
    cluster.admin().createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 3)
        .configs(Map.of("min.insync.replicas", "2")))).all().get();
    cluster.awaitFullIsr(Duration.ofSeconds(60), topic);
    JsonObject overrides = new JsonObject().put("publish", new JsonObject().put("timeoutMs", PUBLISH_TIMEOUT_MS));
    // the test's clients on a Vert.x of their own: the gateway's event loops are the ones watched for stalls; the
    // clients' share two cores with three Kafka JVMs (starting, restarting), so Vert.x's own 2 s check is lifted
    Vertx clients = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(30).setMaxEventLoopExecuteTimeUnit(
        java.util.concurrent.TimeUnit.SECONDS));
    try (TestGateway gw = TestGateway.start(cluster.bootstrapServers(), overrides)) {
      List<WsClient> subscribers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        WsClient ws = WsClient.connect(clients, gw);
        ws.send(new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic))
            .put("from", "latest"));
        ws.awaitType("subscribed", "s");
        subscribers.add(ws);
      }
      SseClient sse = SseClient.open(gw.url("/events?topic=" + topic + "&from=latest"));
      Awaits.until("the SSE stream is subscribed", Duration.ofSeconds(60), () -> !sse.named("subscribed").isEmpty());

      List<long[]> readiness = new CopyOnWriteArrayList<>(); // [time ms, status]
      Thread probe = readinessProbe(gw, readiness);
      List<Kill> kills = new ArrayList<>();
      long t0 = System.currentTimeMillis();
      List<Outcome> outcomes;
      try (FailoverLoad load = new FailoverLoad(clients, gw, topic, 3, 2)) {
        Awaits.until("records are acknowledged before the first kill", Duration.ofSeconds(60), () -> load.acked() >= 100);
        for (int k = 0; k < 2; k++) {
          kills.add(killAndRestartLeader(topic));
          long acked = load.acked();
          Awaits.until("publishing goes on after recovery", Duration.ofSeconds(60), () -> load.acked() >= acked + 100);
        }
        load.close();
        outcomes = load.outcomes();
      } finally {
        probe.interrupt();
      }
      probe.join(10_000);

      List<Outcome> acked = outcomes.stream().filter(Outcome::acked).toList();
      List<Outcome> refused = outcomes.stream().filter(o -> !o.acked()).toList();
      report(t0, kills, outcomes, readiness);

      // every answer is an acknowledgement or a 503 with Retry-After and a detail in the gateway's words
      for (Outcome o : refused) {
        assertEquals(503, o.status(), o.client() + " #" + o.seq() + ": " + o.detail());
        assertNotNull(o.retryAfter(), "a 503 says when to retry: " + o.detail());
        assertFalse(INTERNAL.matcher(o.detail()).find(), "a 503 names nothing internal: " + o.detail());
      }
      // never hung: every publish answered within publish.timeoutMs and a margin
      for (Outcome o : outcomes) {
        assertTrue(o.endMs() - o.startMs() <= PUBLISH_TIMEOUT_MS + ANSWER_MARGIN_MS,
            o.client() + " #" + o.seq() + " answered after " + (o.endMs() - o.startMs()) + " ms");
      }
      // 503s only inside an outage: none answered before the first kill, none asked after full recovery
      for (Outcome o : refused) {
        assertTrue(o.endMs() >= kills.get(0).killedMs(), "a 503 before the first kill: " + o.detail());
        assertTrue(kills.stream().anyMatch(k -> o.startMs() <= k.fullIsrMs() && o.endMs() >= k.killedMs()),
            "a 503 outside every outage (" + (o.startMs() - t0) + " to " + (o.endMs() - t0) + " ms): " + o.detail());
      }
      // readiness: one broker of three gone leaves a cluster that serves, so the gateway stays ready throughout
      for (long[] r : readiness) {
        assertEquals(200, r[1], "/health/ready at +" + (r[0] - t0) + " ms");
      }

      Map<String, JsonObject> inKafka = readBack(topic, acked);
      Map<String, List<Outcome>> byKey = acked.stream().collect(Collectors.groupingBy(Outcome::key));
      for (Outcome a : acked) {
        JsonObject v = inKafka.get(a.at());
        assertNotNull(v, a.client() + " #" + a.seq() + " acknowledged at " + a.at() + " is not in Kafka");
        assertEquals(new JsonObject().put("c", a.client()).put("n", a.seq()), v, "the record at " + a.at());
      }
      for (List<Outcome> perKey : byKey.values()) {
        List<Outcome> bySeq = perKey.stream().sorted(Comparator.comparingLong(Outcome::seq)).toList();
        for (int i = 1; i < bySeq.size(); i++) {
          Outcome a = bySeq.get(i - 1);
          Outcome b = bySeq.get(i);
          assertTrue(a.partition() == b.partition() && a.offset() < b.offset(),
              "key " + a.key() + ": #" + a.seq() + " at " + a.at() + " and #" + b.seq() + " at " + b.at());
        }
      }

      // every live subscriber: every acknowledged record, once, in offset order per partition
      for (int i = 0; i < subscribers.size(); i++) {
        WsClient ws = subscribers.get(i);
        assertReceivedAll("WebSocket subscriber " + i, acked, ws::records);
        ws.close();
      }
      assertReceivedAll("SSE subscriber", acked, sse::records);
      sse.close();
    } finally {
      clients.close();
    }
  }

  /** Kills the broker leading most partitions, waits for new leaders, keeps it down a moment, restarts it. */
  private static Kill killAndRestartLeader(String topic) {
    int broker = cluster.leaderOfMost(topic);
    long killed = System.currentTimeMillis();
    cluster.kill(broker);
    Awaits.until("every partition has a leader other than broker " + broker, Duration.ofSeconds(60), () -> {
      try {
        return cluster.partitions(topic).stream().allMatch(p -> p.leader() != null && p.leader().id() != broker);
      } catch (RuntimeException e) {
        return false;
      }
    });
    long leaders = System.currentTimeMillis();
    try {
      Thread.sleep(DOWN.toMillis()); // part of the scenario (a broker stays down a while), not a synchronisation
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    long restarted = System.currentTimeMillis();
    cluster.restart(broker);
    cluster.awaitFullIsr(Duration.ofSeconds(120), topic);
    return new Kill(broker, killed, leaders, restarted, System.currentTimeMillis());
  }

  private static Thread readinessProbe(TestGateway gw, List<long[]> samples) {
    Thread t = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        Http.Response r = Http.get(gw.url("/health/ready"));
        samples.add(new long[] {System.currentTimeMillis(), r.status()});
        if (r.status() != 200) {
          System.out.println("failover: /health/ready answered " + r.status() + ": " + r.body());
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "readiness-probe");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Reads the topic with a plain consumer until every acknowledged position is seen. Right after a leader change
   * the new leader's high watermark may still be catching up, so it reads again for a while before giving up.
   */
  private static Map<String, JsonObject> readBack(String topic, List<Outcome> acked) {
    Map<String, JsonObject> seen = new HashMap<>();
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> tps = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(topic, p)).toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline && !acked.stream().allMatch(a -> seen.containsKey(a.at()))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          seen.put(r.partition() + "@" + r.offset(), new JsonObject(new String(r.value(), StandardCharsets.UTF_8)));
        }
      }
    }
    return seen;
  }

  private static void assertReceivedAll(String who, List<Outcome> acked,
                                        java.util.function.Supplier<List<JsonObject>> records) {
    try {
      Awaits.until(who + " has every acknowledged record", Duration.ofSeconds(60), () -> {
        var got = records.get().stream().map(r -> r.getInteger("partition") + "@" + r.getLong("offset"))
            .collect(Collectors.toSet());
        return acked.stream().allMatch(a -> got.contains(a.at()));
      });
    } catch (AssertionError e) {
      var got = records.get().stream().map(r -> r.getInteger("partition") + "@" + r.getLong("offset"))
          .collect(Collectors.toSet());
      throw new AssertionError(e.getMessage() + "; missing: " + acked.stream().map(Outcome::at)
          .filter(at -> !got.contains(at)).limit(20).toList());
    }
    Map<Integer, Long> last = new HashMap<>();
    for (JsonObject r : records.get()) {
      int p = r.getInteger("partition");
      long o = r.getLong("offset");
      Long before = last.put(p, o);
      assertTrue(before == null || o > before, who + ": partition " + p + " offset " + o + " after " + before
          + " (a duplicate or out of order)");
    }
  }

  private static void report(long t0, List<Kill> kills, List<Outcome> outcomes, List<long[]> readiness) {
    long acked = outcomes.stream().filter(Outcome::acked).count();
    long refused = outcomes.size() - acked;
    System.out.printf("failover: %d publishes, %d acknowledged, %d answered 503, readiness samples %d (not 200: %d)%n",
        outcomes.size(), acked, refused, readiness.size(), readiness.stream().filter(r -> r[1] != 200).count());
    outcomes.stream().filter(o -> !o.acked()).map(Outcome::detail).distinct().limit(5)
        .forEach(d -> System.out.println("failover: a 503 answered: " + d));
    for (Kill k : kills) {
      // the publish outage: the longest time between two acknowledgements around this kill
      List<Long> ackTimes = outcomes.stream().filter(Outcome::acked).map(Outcome::endMs)
          .filter(t -> t >= k.killedMs() - 5000 && t <= k.fullIsrMs()).sorted().toList();
      long gap = 0;
      for (int i = 1; i < ackTimes.size(); i++) {
        gap = Math.max(gap, ackTimes.get(i) - ackTimes.get(i - 1));
      }
      long refusedHere = outcomes.stream().filter(o -> !o.acked() && o.startMs() <= k.fullIsrMs()
          && o.endMs() >= k.killedMs()).count();
      System.out.printf("failover: broker %d killed at +%d ms; new leaders after %d ms; restarted after %d ms; "
              + "full ISR after %d ms; longest gap between acknowledgements %d ms; 503s %d%n", k.broker(),
          k.killedMs() - t0, k.leadersMs() - k.killedMs(), k.restartedMs() - k.killedMs(),
          k.fullIsrMs() - k.killedMs(), gap, refusedHere);
    }
  }
}
