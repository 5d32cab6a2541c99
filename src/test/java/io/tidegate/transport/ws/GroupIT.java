package io.tidegate.transport.ws;

import static io.tidegate.testing.KafkaTestClients.createTopic;
import static io.tidegate.testing.KafkaTestClients.uniqueTopic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Consumer groups over WebSocket: Kafka shares partitions among sockets on several gateways, at least once. */
@GatewayIT
class GroupIT {
  static Vertx clients;

  @BeforeAll
  static void start() {
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Awaits.result(clients.close());
  }

  /** A worker: a socket in a group that commits each record as it gets it (until told to stop committing). */
  static final class Worker {
    final String name;
    final WebSocketClient client;
    final WebSocket ws;
    final List<JsonObject> frames = new CopyOnWriteArrayList<>();
    final List<JsonObject> records = new CopyOnWriteArrayList<>();
    final List<JsonObject> committed = new CopyOnWriteArrayList<>();
    final List<JsonObject> refused = new CopyOnWriteArrayList<>();
    volatile boolean committing = true;
    /** Records received while not committing: its "crash" leaves them uncommitted. */
    final List<JsonObject> uncommitted = new CopyOnWriteArrayList<>();

    Worker(String name, TestGateway gw) {
      this.name = name;
      client = clients.createWebSocketClient();
      ws = Awaits.result(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
          .setPort(Integer.parseInt(gw.url("").replaceAll(".*:(\\d+)$", "$1"))).setURI("/ws")));
      ws.textMessageHandler(text -> {
        JsonObject f = new JsonObject(text);
        frames.add(f);
        switch (f.getString("type")) {
          case "record" -> {
            records.add(f);
            if (committing) {
              ws.writeTextMessage(new JsonObject().put("type", "commit").put("id", "c").put("topic", f.getString("topic"))
                  .put("partition", f.getInteger("partition")).put("offset", f.getLong("offset")).encode());
            } else {
              uncommitted.add(f);
            }
          }
          case "committed" -> committed.add(f);
          case "error" -> {
            if ("c".equals(f.getString("id"))) {
              refused.add(f);
            }
          }
          default -> { }
        }
      });
    }

    Worker join(String group, String topic) {
      ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "j").put("topics", new JsonArray().add(topic))
          .put("group", group).put("from", "earliest").encode());
      Awaits.until(name + " joins " + group, Duration.ofSeconds(30), () -> frames.stream().anyMatch(
          f -> "j".equals(f.getString("id")) && ("subscribed".equals(f.getString("type")) || "error".equals(f.getString("type")))));
      JsonObject reply = frames.stream().filter(f -> "j".equals(f.getString("id"))).findFirst().orElseThrow();
      assertEquals("subscribed", reply.getString("type"), reply.encode());
      assertEquals(group, reply.getString("group"));
      return this;
    }

    void close() {
      ws.close();
      client.close();
    }
  }

  @Test
  void membersOnTwoGatewaysShareTheWorkAndEveryRecordIsCommittedExactlyOnceAcrossMembershipChanges() throws Exception {
    String topic = uniqueTopic("group-work");
    createTopic(topic, 6);
    String group = "billing-" + topic;
    int total = 3000;
    try (TestGateway a = TestGateway.start(); TestGateway b = TestGateway.start()) {
      List<Worker> workers = new ArrayList<>();
      Worker w1 = new Worker("w1", a).join(group, topic);
      Worker w2 = new Worker("w2", b).join(group, topic);
      workers.add(w1);
      workers.add(w2);

      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread publisher = new Thread(() -> {
        try {
          for (int i = 0; i < total; i += 20) {
            JsonArray batch = new JsonArray();
            for (int j = i; j < i + 20; j++) {
              batch.add(new JsonObject().put("key", "k" + (j % 50)).put("value", new JsonObject().put("n", j)));
            }
            Http.Response r = Http.postJson(a.url("/topics/" + topic + "/records"), new JsonObject().put("records", batch));
            if (r.status() != 200) {
              throw new AssertionError("publish answered " + r.status() + ": " + r.body());
            }
            Thread.sleep(40); // records keep flowing (for 6 s or more) while members come and go
          }
        } catch (Throwable e) {
          failed.set(e);
        }
      }, "publisher");
      publisher.start();

      Runnable report = () -> {
        for (Worker w : workers) {
          System.out.printf("GroupIT %s: received %d, committed %d, refused %d %s, uncommitted %d, assignments %s, revocations %s%n",
              w.name, w.records.size(), w.committed.size(), w.refused.size(),
              w.refused.stream().limit(2).map(JsonObject::encode).toList(), w.uncommitted.size(),
              w.frames.stream().filter(f -> "assigned".equals(f.getString("type"))).map(f -> f.getJsonObject("partitions").encode()).toList(),
              w.frames.stream().filter(f -> "revoked".equals(f.getString("type"))).map(f -> f.getJsonObject("partitions").encode()).toList());
        }
      };
      awaitReceived(workers, 500);
      Worker w3 = new Worker("w3", a).join(group, topic); // a member joins mid-flow
      workers.add(w3);
      awaitReceived(workers, 1200);
      w1.committing = false; // w1 goes on receiving but commits nothing more, then its socket drops
      try {
        Awaits.until("w1 holds uncommitted records", Duration.ofSeconds(30), () -> w1.uncommitted.size() >= 20);
      } catch (AssertionError e) {
        report.run();
        throw e;
      }
      w1.close();
      awaitReceived(workers, 2000);
      Worker w4 = new Worker("w4", b).join(group, topic);
      workers.add(w4);

      publisher.join(120_000);
      if (failed.get() != null) {
        throw new AssertionError("publishing failed", failed.get());
      }
      Map<TopicPartition, Long> end = endOffsets(topic, 6);
      try (Admin admin = KafkaTestClients.admin()) {
        Awaits.until("the group has committed every record", Duration.ofSeconds(60), () -> {
          Map<TopicPartition, OffsetAndMetadata> c;
          try {
            c = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
          } catch (Exception e) {
            return false;
          }
          return end.entrySet().stream().allMatch(e -> c.get(e.getKey()) != null && c.get(e.getKey()).offset() == e.getValue());
        });
      }
      Awaits.until("every record's commit is answered", Duration.ofSeconds(30), () -> workers.stream()
          .flatMap(w -> w.committed.stream()).map(c -> c.getInteger("partition") + "@" + c.getLong("offset"))
          .distinct().count() >= total);

      report.run();
      // none lost: every record reached some member
      Set<Integer> received = new HashSet<>();
      workers.forEach(w -> w.records.forEach(r -> received.add(r.getJsonObject("value").getInteger("n"))));
      assertEquals(total, received.size(), "every record was delivered to a member");

      // every record committed exactly once, by one member
      Map<String, String> committedBy = new HashMap<>();
      for (Worker w : workers) {
        for (JsonObject c : w.committed) {
          String at = c.getInteger("partition") + "@" + c.getLong("offset");
          String before = committedBy.put(at, w.name);
          assertTrue(before == null, at + " committed twice, by " + before + " and " + w.name);
        }
      }
      long records = end.values().stream().mapToLong(Long::longValue).sum();
      assertEquals(total, records);
      assertEquals(total, committedBy.size(), "every record committed once");

      // what w1 left uncommitted was redelivered to (and committed by) another member
      for (JsonObject r : w1.uncommitted) {
        String at = r.getInteger("partition") + "@" + r.getLong("offset");
        assertTrue(committedBy.containsKey(at) && !"w1".equals(committedBy.get(at)), at + " was redelivered and committed");
      }
      assertTrue(!w2.records.isEmpty() && !w3.records.isEmpty(), "the members share the work");
      Awaits.until("the last member to join is given partitions", Duration.ofSeconds(30), () -> w4.frames.stream()
          .anyMatch(f -> "assigned".equals(f.getString("type"))));

      // order per partition within a member (a partition it is given again starts over from the last commit)
      for (Worker w : workers) {
        Map<Integer, Long> last = new HashMap<>();
        for (JsonObject f : w.frames) {
          if ("assigned".equals(f.getString("type"))) {
            f.getJsonObject("partitions").getJsonArray(topic, new JsonArray()).forEach(p -> last.remove((Integer) p));
          } else if ("record".equals(f.getString("type"))) {
            long prev = last.getOrDefault(f.getInteger("partition"), -1L);
            assertTrue(f.getLong("offset") > prev, w.name + ": offsets rise on partition " + f.getInteger("partition"));
            last.put(f.getInteger("partition"), f.getLong("offset"));
          }
        }
      }
      workers.forEach(Worker::close);
    }
  }

  @Test
  void twoGroupsEachGetEveryRecord() {
    String topic = uniqueTopic("group-two");
    createTopic(topic, 3);
    try (TestGateway a = TestGateway.start(); TestGateway b = TestGateway.start()) {
      Worker billing = new Worker("billing", a).join("billing-" + topic, topic);
      Worker audit = new Worker("audit", b).join("audit-" + topic, topic);
      JsonArray batch = new JsonArray();
      for (int n = 0; n < 300; n++) {
        batch.add(new JsonObject().put("key", "k" + n).put("value", new JsonObject().put("n", n)));
      }
      assertEquals(200, Http.postJson(a.url("/topics/" + topic + "/records"), new JsonObject().put("records", batch)).status());
      for (Worker w : List.of(billing, audit)) {
        Awaits.until(w.name + " gets every record", Duration.ofSeconds(30), () -> w.committed.size() >= 300);
        Set<Integer> ns = new HashSet<>();
        w.records.forEach(r -> ns.add(r.getJsonObject("value").getInteger("n")));
        assertEquals(300, ns.size());
        w.close();
      }
    }
  }

  @Test
  void commitsAndGroupSubscribesAreChecked() {
    String topic = uniqueTopic("group-bad");
    createTopic(topic, 2);
    try (TestGateway a = TestGateway.start()) {
      Worker w = new Worker("w", a);
      w.committing = false;
      w.ws.writeTextMessage(commit("x", topic, 0, 0));
      assertEquals(404, awaitReply(w, "x").getInteger("status"), "not a member");
      w.ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "o").put("topics", new JsonArray().add(topic))
          .put("group", "g-" + topic).put("from", new JsonObject().put("offsets", new JsonObject())).encode());
      assertEquals(400, awaitReply(w, "o").getInteger("status"), "a group starts from its commits");
      w.ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "n").put("topics", new JsonArray().add(topic))
          .put("group", "").encode());
      assertEquals(400, awaitReply(w, "n").getInteger("status"), "a group needs a name");

      w.join("g-" + topic, topic);
      assertEquals(200, Http.postJson(a.url("/topics/" + topic + "/records"),
          new JsonObject().put("key", "k").put("partition", 1).put("value", 1)).status());
      Awaits.until("the record arrives", () -> !w.records.isEmpty());
      w.ws.writeTextMessage(commit("early", topic, 1, 5));
      assertEquals(400, awaitReply(w, "early").getInteger("status"), "not delivered yet");
      w.ws.writeTextMessage(commit("ok", topic, 1, 0));
      assertEquals("committed", awaitReply(w, "ok").getString("type"));
      w.ws.writeTextMessage(commit("again", topic, 1, 0));
      assertEquals(409, awaitReply(w, "again").getInteger("status"), "already committed");
      w.ws.writeTextMessage(commit("p9", topic, 9, 0));
      assertEquals(409, awaitReply(w, "p9").getInteger("status"), "not this member's partition");

      // leaving hands the partitions to the next member, from the last commit: nothing is redelivered
      w.ws.writeTextMessage(new JsonObject().put("type", "unsubscribe").put("id", "u").put("topics", new JsonArray().add(topic)).encode());
      assertEquals("unsubscribed", awaitReply(w, "u").getString("type"));
      Worker next = new Worker("next", a).join("g-" + topic, topic);
      Awaits.until("the next member owns both partitions", () -> next.frames.stream()
          .filter(f -> "assigned".equals(f.getString("type")))
          .mapToInt(f -> f.getJsonObject("partitions").getJsonArray(topic).size()).sum() == 2);
      assertEquals(200, Http.postJson(a.url("/topics/" + topic + "/records"),
          new JsonObject().put("key", "k").put("partition", 1).put("value", 2)).status());
      Awaits.until("the next record arrives", () -> !next.records.isEmpty());
      assertEquals(1L, next.records.get(0).getLong("offset"), "offset 0 was committed, so it is not redelivered");
      w.close();
      next.close();
    }
  }

  @Test
  void aGatewayThatStopsHandsItsMembersPartitionsToTheOthersAtOnce() {
    String topic = uniqueTopic("group-stop");
    createTopic(topic, 4);
    String group = "stop-" + topic;
    try (TestGateway b = TestGateway.start()) {
      TestGateway a = TestGateway.start();
      Worker onA = new Worker("onA", a).join(group, topic);
      Worker onB = new Worker("onB", b).join(group, topic);
      Awaits.until("the partitions are shared out", Duration.ofSeconds(30), () -> owned(onA, topic) + owned(onB, topic) == 4
          && owned(onA, topic) > 0);
      long stopping = System.nanoTime();
      a.close(); // its sockets get 1001 and its members leave the group before it finishes stopping
      Awaits.until("the member on B owns every partition", Duration.ofSeconds(30), () -> owned(onB, topic) == 4);
      long tookMs = (System.nanoTime() - stopping) / 1_000_000;
      // far below Kafka's session timeout (45 s), which is what a member that never said goodbye would cost
      assertTrue(tookMs < 20_000, "the partitions moved in " + tookMs + " ms");
      JsonArray batch = new JsonArray();
      for (int n = 0; n < 40; n++) {
        batch.add(new JsonObject().put("key", "k" + n).put("value", new JsonObject().put("n", n)));
      }
      assertEquals(200, Http.postJson(b.url("/topics/" + topic + "/records"), new JsonObject().put("records", batch)).status());
      Awaits.until("the remaining member gets every record", Duration.ofSeconds(30), () -> onB.committed.size() >= 40);
      onA.close();
      onB.close();
    }
  }

  /** Partitions of the topic the worker holds now, from its assigned and revoked frames. */
  private static int owned(Worker w, String topic) {
    Set<Integer> held = new HashSet<>();
    for (JsonObject f : w.frames) {
      if ("assigned".equals(f.getString("type"))) {
        f.getJsonObject("partitions").getJsonArray(topic, new JsonArray()).forEach(p -> held.add((Integer) p));
      } else if ("revoked".equals(f.getString("type"))) {
        f.getJsonObject("partitions").getJsonArray(topic, new JsonArray()).forEach(p -> held.remove((Integer) p));
      }
    }
    return held.size();
  }

  @Test
  void membersBeyondTheGatewaysLimitAreRefusedUntilOneLeaves() {
    String topic = uniqueTopic("group-limit");
    createTopic(topic, 2);
    try (TestGateway a = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("maxGroupMembers", 1)))) {
      Worker first = new Worker("first", a).join("limit-" + topic, topic);
      Worker second = new Worker("second", a);
      second.ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "j").put("topics", new JsonArray().add(topic))
          .put("group", "limit-" + topic).encode());
      JsonObject refused = awaitReply(second, "j");
      assertEquals(503, refused.getInteger("status"), refused.encode());
      first.close();
      Awaits.until("the first member's consumer is gone", Duration.ofSeconds(15),
          () -> a.gateway().registry().get("tidegate.group.members").gauge().value() == 0);
      second.frames.clear();
      second.join("limit-" + topic, topic);
      second.close();
    }
  }

  /**
   * A member Kafka refuses (here: the group is held by a plain consumer that shares partitions out with the
   * range assignor only, which the gateway's cooperative members cannot join) fails on its own thread. Its
   * slot goes back at once, the client is told, and later joins are not refused for want of slots.
   */
  @Test
  void membersKafkaRefusesGiveTheirSlotBackAndTheClientIsTold() {
    String topic = uniqueTopic("group-refused");
    createTopic(topic, 2);
    String held = "range-" + topic;
    try (TestGateway a = TestGateway.start(new JsonObject().put("ws", new JsonObject().put("maxGroupMembers", 1)));
        KafkaConsumer<byte[], byte[]> plain = rangeOnlyConsumer(held)) {
      plain.subscribe(List.of(topic));
      Awaits.until("the plain consumer holds the group", Duration.ofSeconds(30), () -> {
        plain.poll(Duration.ofMillis(100));
        return !plain.assignment().isEmpty();
      });
      for (int attempt = 1; attempt <= 3; attempt++) {
        Worker w = new Worker("refused" + attempt, a);
        w.ws.writeTextMessage(new JsonObject().put("type", "subscribe").put("id", "j").put("topics", new JsonArray().add(topic))
            .put("group", held).encode());
        JsonObject reply = awaitReply(w, "j");
        assertEquals("error", reply.getString("type"), reply.encode());
        Awaits.until("the refused member's slot is free again", Duration.ofSeconds(15),
            () -> a.gateway().registry().get("tidegate.group.members").gauge().value() == 0);
        assertEquals(409, reply.getInteger("status"), "Kafka refused the member: " + reply.encode());
        assertTrue(reply.getString("detail").contains(held), reply.encode());
        w.close();
      }
      Worker ok = new Worker("ok", a).join("ok-" + topic, topic);
      ok.close();
      Awaits.until("the last member's slot is free", Duration.ofSeconds(15),
          () -> a.gateway().registry().get("tidegate.group.members").gauge().value() == 0);
    }
  }

  private static KafkaConsumer<byte[], byte[]> rangeOnlyConsumer(String group) {
    return new KafkaConsumer<>(Map.of("bootstrap.servers", io.tidegate.testing.KafkaBrokerExtension.bootstrapServers(),
        "group.id", group, "partition.assignment.strategy", org.apache.kafka.clients.consumer.RangeAssignor.class.getName()),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
  }

  private static String commit(String id, String topic, int partition, long offset) {
    return new JsonObject().put("type", "commit").put("id", id).put("topic", topic).put("partition", partition)
        .put("offset", offset).encode();
  }

  private static JsonObject awaitReply(Worker w, String id) {
    Awaits.until("a reply to " + id, Duration.ofSeconds(30), () -> w.frames.stream().anyMatch(f -> id.equals(f.getString("id"))));
    return w.frames.stream().filter(f -> id.equals(f.getString("id"))).findFirst().orElseThrow();
  }

  private static void awaitReceived(List<Worker> workers, int n) {
    Awaits.until(n + " records received by the group", Duration.ofSeconds(60),
        () -> workers.stream().mapToInt(w -> w.records.size()).sum() >= n);
  }

  private static Map<TopicPartition, Long> endOffsets(String topic, int partitions) {
    Map<TopicPartition, Long> out = new HashMap<>();
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(Map.of(
        "bootstrap.servers", io.tidegate.testing.KafkaBrokerExtension.bootstrapServers()),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      out.putAll(consumer.endOffsets(tps));
    }
    return out;
  }
}
