package io.tidegate.auth;

import static io.tidegate.testing.Jwts.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidegate.testing.Awaits;
import io.tidegate.testing.GatewayIT;
import io.tidegate.testing.Http;
import io.tidegate.testing.Jwts;
import io.tidegate.testing.KafkaBrokerExtension;
import io.tidegate.testing.KafkaTestClients;
import io.tidegate.testing.SseClient;
import io.tidegate.testing.TestGateway;
import io.tidegate.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Row-level filters bound to identity ({@code auth.roles} with {@code ${sub}} and {@code ${claim.X}}), over every
 * path: WebSocket (the past and the live feed), SSE, history pages and consumer groups. Records are produced with
 * Kafka's own producer; alice never receives bob's records, whatever filter she asks for, and an identity
 * without a forced filter sees everything.
 */
@GatewayIT
class RowFilterIT {
  private static final String SECRET = "a-row-filter-test-secret-of-32-bytes+";
  /** Record n is keyed KEYS[n % 4] (null: no key), kind "mention" when n % 8 < 4, else "like". */
  private static final String[] KEYS = {"alice", "bob", "carol", null};
  private static final Map<String, Integer> UIDS = Map.of("alice", 1, "bob", 2, "carol", 3);

  static TestGateway gw;
  static Vertx vertx;
  static KafkaProducer<byte[], byte[]> producer;
  /** Topics named {@code <notifications>.<x>} are read by role "user" only through {"key":"${sub}"}. */
  static String notifications;
  /** Topics named {@code <profiles>.<x>} are read by role "member" only through {"value":{"user.id":"${claim.uid}"}}. */
  static String profiles;

  @BeforeAll
  static void start() {
    notifications = KafkaTestClients.uniqueTopic("notifications");
    profiles = KafkaTestClients.uniqueTopic("profiles");
    JsonObject roles = new JsonObject()
        .put("user", new JsonObject().put("subscribe", new JsonArray().add(notifications + ".*"))
            .put("groups", new JsonArray().add("inbox-*"))
            .put("filters", new JsonObject().put(notifications + ".*", new JsonObject().put("key", "${sub}"))))
        .put("member", new JsonObject().put("subscribe", new JsonArray().add(profiles + ".*"))
            .put("filters", new JsonObject().put(profiles + ".*",
                new JsonObject().put("value", new JsonObject().put("user.id", "${claim.uid}")))))
        .put("ops", new JsonObject().put("subscribe", new JsonArray().add("*")).put("groups", new JsonArray().add("*")));
    gw = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("mode", "jwt")
        .put("jwt", new JsonObject().put("secret", SECRET)).put("roles", roles)));
    vertx = Vertx.vertx();
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", KafkaBrokerExtension.bootstrapServers(), "acks", "all"),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void stop() {
    producer.close();
    gw.close();
    Awaits.result(vertx.close());
  }

  private static String token(String sub, String role) {
    return Jwts.hs256(SECRET, claims(sub, 600).put("roles", new JsonArray().add(role)).put("uid", UIDS.get(sub)));
  }

  /** Produces records {@code from} (inclusive) to {@code to} (exclusive), keyed and valued as {@link #KEYS} says. */
  private static void produce(String topic, int from, int to) {
    try {
      for (int n = from; n < to; n++) {
        String key = KEYS[n % KEYS.length];
        JsonObject value = new JsonObject().put("n", n)
            .put("user", new JsonObject().put("id", key == null ? 0 : UIDS.get(key)));
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null,
            key == null ? null : key.getBytes(StandardCharsets.UTF_8), value.toBuffer().getBytes());
        r.headers().add("kind", (n % 8 < 4 ? "mention" : "like").getBytes(StandardCharsets.UTF_8));
        producer.send(r);
      }
      producer.flush();
    } catch (RuntimeException e) {
      throw new AssertionError("producing to " + topic, e);
    }
  }

  /** The record numbers below {@code to} that pass. */
  private static Set<Integer> numbers(int to, IntPredicate pass) {
    Set<Integer> out = new TreeSet<>();
    for (int n = 0; n < to; n++) {
      if (pass.test(n)) {
        out.add(n);
      }
    }
    return out;
  }

  private static IntPredicate keyed(String key) {
    return n -> key.equals(KEYS[n % KEYS.length]);
  }

  private static Set<Integer> numbers(List<JsonObject> records) {
    Set<Integer> out = new TreeSet<>();
    records.forEach(r -> out.add(r.getJsonObject("value").getInteger("n")));
    assertEquals(out.size(), records.size(), "no record twice: " + records);
    return out;
  }

  private static WsClient subscribe(String token, String topic, String from, JsonObject filter) {
    WsClient ws = WsClient.connect(vertx, gw, token);
    JsonObject sub = new JsonObject().put("type", "subscribe").put("id", "s").put("topics", new JsonArray().add(topic))
        .put("from", from);
    if (filter != null) {
      sub.put("filter", filter);
    }
    ws.send(sub);
    JsonObject reply = ws.await(f -> "s".equals(f.getString("id")));
    assertEquals("subscribed", reply.getString("type"), reply.encode());
    return ws;
  }

  @Test
  void overWebSocketEachUserGetsOnlyTheirOwnRecordsWhateverTheyAskFor() {
    String topic = notifications + ".ws";
    KafkaTestClients.createTopic(topic, 3);
    produce(topic, 0, 40); // the past, read by catch-up
    String alice = token("alice", "user");
    List<WsClient> sockets = new ArrayList<>();
    try {
      WsClient aliceAll = subscribe(alice, topic, "earliest", null);
      WsClient aliceAsksForBob = subscribe(alice, topic, "earliest", new JsonObject().put("key", "bob"));
      WsClient aliceMentions = subscribe(alice, topic, "earliest",
          new JsonObject().put("headers", new JsonObject().put("kind", "mention")));
      WsClient bob = subscribe(token("bob", "user"), topic, "earliest", null);
      WsClient ops = subscribe(token("ops", "ops"), topic, "earliest", null);
      sockets.addAll(List.of(aliceAll, aliceAsksForBob, aliceMentions, bob, ops));
      produce(topic, 40, 80); // live, through the shared feed

      Set<Integer> alices = numbers(80, keyed("alice"));
      Set<Integer> alicesMentions = numbers(80, keyed("alice").and(n -> n % 8 < 4));
      Set<Integer> bobs = numbers(80, keyed("bob"));
      aliceAll.awaitRecords(alices.size());
      aliceMentions.awaitRecords(alicesMentions.size());
      bob.awaitRecords(bobs.size());
      ops.awaitRecords(80);
      // what a forced filter should have kept out would arrive with the rest
      Awaits.stays("nothing else arrives", Duration.ofMillis(500), () -> aliceAll.recordCount() == alices.size()
          && aliceAsksForBob.recordCount() == 0 && aliceMentions.recordCount() == alicesMentions.size()
          && bob.recordCount() == bobs.size() && ops.recordCount() == 80);
      assertEquals(alices, numbers(aliceAll.records()));
      assertTrue(alicesMentions.size() > 0 && alicesMentions.size() < alices.size());
      assertEquals(alicesMentions, numbers(aliceMentions.records()), "the client's filter and the forced one, both");
      assertEquals(Set.of(), numbers(aliceAsksForBob.records()), "asking for bob's key gets nothing of bob's");
      assertEquals(bobs, numbers(bob.records()));
      assertEquals(numbers(80, n -> true), numbers(ops.records()), "an identity without a forced filter sees all");
    } finally {
      sockets.forEach(WsClient::close);
    }
  }

  @Test
  void overSseEachUserGetsOnlyTheirOwnRecords() {
    String topic = notifications + ".sse";
    KafkaTestClients.createTopic(topic, 3);
    produce(topic, 0, 20);
    String base = gw.url("/events?topic=" + topic + "&from=earliest&access_token=");
    try (SseClient alice = SseClient.open(base + token("alice", "user"));
         SseClient aliceAsksForBob = SseClient.open(base + token("alice", "user") + "&key=bob");
         SseClient bob = SseClient.open(base + token("bob", "user"));
         SseClient ops = SseClient.open(base + token("ops", "ops"))) {
      for (SseClient c : List.of(alice, aliceAsksForBob, bob, ops)) {
        Awaits.until("the stream is subscribed", Duration.ofSeconds(30), () -> !c.named("subscribed").isEmpty());
      }
      produce(topic, 20, 40);
      alice.awaitRecords(numbers(40, keyed("alice")).size());
      bob.awaitRecords(numbers(40, keyed("bob")).size());
      ops.awaitRecords(40);
      Awaits.stays("nothing else arrives", Duration.ofMillis(500), () -> alice.records().size() == 10
          && bob.records().size() == 10 && aliceAsksForBob.records().isEmpty() && ops.records().size() == 40);
      assertEquals(numbers(40, keyed("alice")), numbers(alice.records()));
      assertEquals(numbers(40, keyed("bob")), numbers(bob.records()));
      assertEquals(numbers(40, n -> true), numbers(ops.records()));
      assertTrue(alice.named("error").isEmpty(), alice.events().toString());
    }
  }

  private static JsonObject page(String token, String query) {
    Http.Response r = Http.get(gw.url(query), "Authorization", "Bearer " + token);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static List<JsonObject> records(JsonObject page) {
    List<JsonObject> out = new ArrayList<>();
    page.getJsonArray("records").forEach(o -> out.add((JsonObject) o));
    return out;
  }

  @Test
  void historyPagesHoldOnlyTheReadersRecordsAndPagingOnReachesAllOfThem() {
    String topic = notifications + ".history";
    KafkaTestClients.createTopic(topic, 3);
    produce(topic, 0, 60);
    String alice = token("alice", "user");
    String path = "/topics/" + topic + "/records";
    assertEquals(numbers(60, keyed("alice")), numbers(records(page(alice, path + "?from=earliest&limit=1000"))));
    assertEquals(numbers(60, keyed("bob")), numbers(records(page(token("bob", "user"), path + "?from=earliest&limit=1000"))));
    List<JsonObject> all = records(page(token("ops", "ops"), path + "?from=earliest&limit=1000"));
    assertEquals(numbers(60, n -> true), numbers(all));

    // the newest three of alice's, though the newest three records of the topic are not hers
    List<JsonObject> newest = records(page(alice, path + "?from=latest&limit=3"));
    assertEquals(Set.of(48, 52, 56), numbers(newest));

    // paging on each partition, two records a page, from where the last page stood: all of alice's, nothing else
    int partitions = 3;
    Set<Integer> paged = new TreeSet<>();
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      long end = all.stream().filter(r -> r.getInteger("partition") == partition).count();
      boolean hers = all.stream().anyMatch(r -> r.getInteger("partition") == partition && "alice".equals(r.getString("key")));
      long offset = 0;
      for (int pages = 0; pages < 100; pages++) {
        JsonObject pg = page(alice, path + "?partition=" + p + "&offset=" + offset + "&limit=2");
        List<JsonObject> got = records(pg);
        assertTrue(got.size() <= 2);
        got.forEach(r -> assertEquals("alice", r.getString("key"), r.encode()));
        paged.addAll(numbers(got));
        long next = pg.getJsonObject("next").getLong(String.valueOf(p));
        if (pages == 0 && !hers) {
          // nothing of hers on this partition: an empty page, whose next stands after every record it examined
          assertEquals(List.of(), got);
          assertEquals(end, next, "partition " + p);
        }
        if (next == offset) {
          break;
        }
        offset = next;
      }
    }
    assertEquals(numbers(60, keyed("alice")), paged);
  }

  @Test
  void aGroupMemberGetsOnlyItsRecordsAndItsCommitsCarryTheGroupPastTheRest() throws Exception {
    String topic = notifications + ".group";
    KafkaTestClients.createTopic(topic, 1); // one partition: the last records of it are not alice's
    produce(topic, 0, 42); // record 41 is bob's, 40 alice's
    String aliceGroup = "inbox-alice-" + topic;
    String bobGroup = "inbox-bob-" + topic;
    try (WsClient alice = WsClient.connect(vertx, gw, token("alice", "user"));
         WsClient bob = WsClient.connect(vertx, gw, token("bob", "user"))) {
      alice.send(new JsonObject().put("type", "subscribe").put("id", "g").put("topics", new JsonArray().add(topic))
          .put("group", aliceGroup).put("from", "earliest"));
      bob.send(new JsonObject().put("type", "subscribe").put("id", "g").put("topics", new JsonArray().add(topic))
          .put("group", bobGroup).put("from", "earliest").put("filter", new JsonObject().put("key", "alice")));
      assertEquals("subscribed", alice.await(f -> "g".equals(f.getString("id"))).getString("type"));
      assertEquals("subscribed", bob.await(f -> "g".equals(f.getString("id"))).getString("type"));
      Set<Integer> alices = numbers(42, keyed("alice"));
      alice.awaitRecords(alices.size());
      Awaits.stays("nothing else arrives", Duration.ofMillis(500),
          () -> alice.recordCount() == alices.size() && bob.recordCount() == 0);
      assertEquals(alices, numbers(alice.records()));
      assertEquals(0, bob.recordCount(), "bob asking for alice's key in his group gets nothing");

      // alice commits the last record she received (offset 40); 41 was skipped for her: the group moves past it
      JsonObject last = alice.records().get(alice.records().size() - 1);
      assertEquals(40, last.getLong("offset"));
      alice.send(new JsonObject().put("type", "commit").put("id", "c").put("topic", topic).put("partition", 0)
          .put("offset", 40));
      JsonObject answer = alice.await(f -> "c".equals(f.getString("id")));
      assertEquals("committed", answer.getString("type"), answer.encode());
      assertEquals(42L, committed(aliceGroup, topic), "the group's offset stands at the end: its lag is 0");

      // records published later reach the member, and it commits them as before
      produce(topic, 42, 45); // 42: carol, 43: no key, 44: alice
      alice.awaitRecords(alices.size() + 1);
      assertEquals(44, alice.records().get(alice.records().size() - 1).getLong("offset"));
      alice.send(new JsonObject().put("type", "commit").put("id", "c2").put("topic", topic).put("partition", 0)
          .put("offset", 44));
      assertEquals("committed", alice.await(f -> "c2".equals(f.getString("id"))).getString("type"));
      assertEquals(45L, committed(aliceGroup, topic));
    }
  }

  private static long committed(String group, String topic) throws Exception {
    try (Admin admin = KafkaTestClients.admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      OffsetAndMetadata o = offsets.get(new TopicPartition(topic, 0));
      return o == null ? -1 : o.offset();
    }
  }

  @Test
  void aFilterOnAValueFieldBoundToAClaimKeepsEachMemberToTheirOwnRecords() {
    String topic = profiles + ".ws";
    KafkaTestClients.createTopic(topic, 2);
    produce(topic, 0, 24);
    List<WsClient> sockets = new ArrayList<>();
    try {
      // uid is a number in the token: "${claim.uid}" alone binds the number, which the record's user.id is
      WsClient alice = subscribe(token("alice", "member"), topic, "earliest", null);
      WsClient carol = subscribe(token("carol", "member"), topic, "earliest", null);
      sockets.addAll(List.of(alice, carol));
      produce(topic, 24, 48);
      alice.awaitRecords(12);
      carol.awaitRecords(12);
      Awaits.stays("nothing else arrives", Duration.ofMillis(500),
          () -> alice.recordCount() == 12 && carol.recordCount() == 12);
      assertEquals(numbers(48, keyed("alice")), numbers(alice.records()));
      assertEquals(numbers(48, keyed("carol")), numbers(carol.records()));
      // and the same filter on history
      assertEquals(numbers(48, keyed("alice")), numbers(records(page(token("alice", "member"),
          "/topics/" + topic + "/records?from=earliest&limit=1000"))));
    } finally {
      sockets.forEach(WsClient::close);
    }
  }

  @Test
  void twoSocketsOfOneUserShareOneEvaluationPerRecord() {
    String topic = notifications + ".shared";
    KafkaTestClients.createTopic(topic, 2);
    String alice = token("alice", "user");
    try (WsClient one = subscribe(alice, topic, "latest", null);
         WsClient two = subscribe(alice, topic, "latest", new JsonObject().put("key", "alice"))) {
      double before = evaluations();
      produce(topic, 0, 40);
      one.awaitRecords(10);
      two.awaitRecords(10);
      Awaits.until("every record evaluated", () -> evaluations() - before >= 40);
      Awaits.stays("no more evaluations", Duration.ofMillis(300), () -> evaluations() - before == 40);
      // the forced {"key":"alice"} alone and the same key asked for by the client are one filter
      assertEquals(40, evaluations() - before, 0.0);
      assertEquals(numbers(40, keyed("alice")), numbers(one.records()));
      assertEquals(numbers(40, keyed("alice")), numbers(two.records()));
    }
  }

  private static double evaluations() {
    var c = gw.gateway().registry().find("tidegate.filter.evaluations").counter();
    return c == null ? 0 : c.count();
  }
}
